BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force
}

Describe 'Connect-AuditStore and Get-AuditStore' {
    It 'creates a store and describes it' {
        $path = Join-Path $TestDrive 'new.db'
        $info = Connect-AuditStore -Path $path -PassThru
        $info.PSObject.TypeNames[0] | Should -Be 'AuditGuard.Cmdlets.AuditStoreInfo'
        $info.Path | Should -Be $path
        $info.StoreId | Should -Not -Be ([guid]::Empty)
        $info.SchemaVersion | Should -Be 3
        # A new store holds its genesis record, signed by the key it generated beside itself.
        $info.RecordCount | Should -Be 1
        $info.HeadSequence | Should -Be 0
        $info.HeadHash | Should -Match '^[0-9a-f]{64}$'
        $info.Signer | Should -Be "CN=AuditGuard store $($info.StoreId)"
        $info.SignerFingerprint | Should -Match '^[0-9a-f]{64}$'
        $info.IsReadOnly | Should -BeFalse
        $info.Settings.CheckpointInterval | Should -Be 1000
        "$path.signer.pfx" | Should -Exist
        "$path.secret.key" | Should -Exist
        (Get-AuditStore).StoreId | Should -Be $info.StoreId
    }

    It 'writes nothing without -PassThru' {
        Connect-AuditStore -Path (Join-Path $TestDrive 'quiet.db') | Should -BeNullOrEmpty
    }

    It 'keeps the store id when the store is opened again' {
        $path = Join-Path $TestDrive 'again.db'
        $first = Connect-AuditStore -Path $path -PassThru
        Connect-AuditStore -Path (Join-Path $TestDrive 'other.db')
        (Connect-AuditStore -Path $path -PassThru).StoreId | Should -Be $first.StoreId
    }

    It 'resolves a relative path against the current PowerShell location' {
        Push-Location $TestDrive
        try {
            (Connect-AuditStore -Path 'relative.db' -PassThru).Path | Should -Be (Join-Path $TestDrive 'relative.db')
        }
        finally { Pop-Location }
    }

    It 'takes the path from the pipeline by property name' {
        $path = Join-Path $TestDrive 'piped.db'
        Connect-AuditStore -Path $path
        (Get-Item $path | Connect-AuditStore -PassThru).Path | Should -Be $path
    }

    It 'creates nothing under -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.db'
        Connect-AuditStore -Path $path -WhatIf
        $path | Should -Not -Exist
        "$path.signer.pfx" | Should -Not -Exist
    }

    # Unix permission bits: Windows has ACLs instead, which AuditGuard leaves to the folder.
    It 'gives the store and its write-ahead log owner-only permissions' -Skip:$IsWindows {
        $path = Join-Path $TestDrive 'private.db'
        Connect-AuditStore -Path $path
        # SQLite creates the log at the first write and gives it the database file's mode;
        # the store's own open read keeps it from being removed when the writer closes.
        $null = Get-AuditStore
        sqlite3 $path "INSERT INTO blobs(sha256, bytes) VALUES (x'01', x'02')"
        Get-UnixMode $path | Should -Be '600'
        foreach ($companion in "$path-wal", "$path-shm", "$path.signer.pfx", "$path.secret.key") {
            $companion | Should -Exist
            Get-UnixMode $companion | Should -Be '600'
        }
    }

    It 'creates several stores racing for one new path as a single store' {
        $path = Join-Path $TestDrive 'raced.db'
        # The processes import the module, then wait on one barrier, so they open the new path together.
        $workers = Invoke-ConcurrentPwsh -Count 4 -BarrierFolder (Join-Path $TestDrive 'create-barrier') `
            -Script "(Connect-AuditStore -Path '$path' -PassThru).StoreId.ToString()"
        foreach ($worker in $workers) { $worker.ExitCode | Should -Be 0 -Because $worker.Error }
        $ids = @($workers | ForEach-Object { $_.Output[-1] })
        $ids.Count | Should -Be 4
        @($ids | Sort-Object -Unique).Count | Should -Be 1
        (sqlite3 $path 'SELECT count(*) FROM store_meta; SELECT count(*) FROM schema_version;') | Should -Be @('1', '3')
        sqlite3 $path "SELECT count(*) FROM records WHERE type = 'store.created'" | Should -Be '1'
        Connect-AuditStore -Path $path
        Test-AuditChain -Quiet | Should -BeTrue
    }

    It 'waits for a lock another process holds, and appends once it is released' {
        $path = Join-Path $TestDrive 'locked.db'
        Connect-AuditStore -Path $path
        Connect-AuditStore -Path (Join-Path $TestDrive 'elsewhere.db')
        $marker = Join-Path $TestDrive 'lock-held'
        $holder = Start-ThreadJob -ArgumentList $path, $marker -ScriptBlock {
            param($path, $marker)
            "BEGIN IMMEDIATE; INSERT INTO store_meta(key, value) VALUES ('lock-test', 'x'); SELECT 'locked';" + "`n.shell touch '$marker'`n.shell sleep 2`nROLLBACK;" | sqlite3 $path
        }
        # Only once the other process holds the write lock does the append start.
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while (-not (Test-Path $marker) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $marker | Should -Exist
        # Opening an existing store takes the write lock briefly too, so time both steps.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Connect-AuditStore -Path $path
        (New-AuditCheckpoint).Sequence | Should -Be 1
        # It waited for the lock (about two seconds) instead of failing or writing around it.
        $clock.Elapsed.TotalMilliseconds | Should -BeGreaterThan 1000
        $holder | Receive-Job -Wait -AutoRemoveJob | Should -Contain 'locked'
        sqlite3 $path "SELECT count(*) FROM store_meta WHERE key = 'lock-test'" | Should -Be '0'
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'tells a wait as the command that waited: a quiet write inside a verbose one''s script block is not the verbose one' {
        $path = Join-Path $TestDrive 'nested.db'
        Connect-AuditStore -Path $path
        $marker = Join-Path $TestDrive 'nested-lock-held'
        $outer = Invoke-GuardedWrite -Connector Script -Target 'outer' -Reason 'outer' -Verbose -ScriptBlock {
            $holder = Start-ThreadJob -ArgumentList $path, $marker -ScriptBlock {
                param($path, $marker)
                "BEGIN IMMEDIATE; INSERT INTO store_meta(key, value) VALUES ('lock-test', 'x'); SELECT 'locked';" + "`n.shell touch '$marker'`n.shell sleep 2`nROLLBACK;" | sqlite3 $path
            }
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while (-not (Test-Path $marker) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            Invoke-GuardedWrite -Connector Script -Target 'inner' -Reason 'inner' -ScriptBlock { } | Out-Null
            $holder | Receive-Job -Wait -AutoRemoveJob | Out-Null
        } 4>&1

        $marker | Should -Exist
        @($outer | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Waiting*' }) | Should -BeNullOrEmpty
        @(Get-Operation | Where-Object State -eq 'Closed').Count | Should -Be 2
    }

    It 'says with -Verbose that a write waits for the lock, and says nothing of a wait that did not happen' {
        $path = Join-Path $TestDrive 'told.db'
        Connect-AuditStore -Path $path
        $quiet = @(New-AuditCheckpoint -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Waiting*' })
        $quiet | Should -BeNullOrEmpty
        $marker = Join-Path $TestDrive 'told-lock-held'
        $holder = Start-ThreadJob -ArgumentList $path, $marker -ScriptBlock {
            param($path, $marker)
            "BEGIN IMMEDIATE; INSERT INTO store_meta(key, value) VALUES ('lock-test', 'x'); SELECT 'locked';" + "`n.shell touch '$marker'`n.shell sleep 2`nROLLBACK;" | sqlite3 $path
        }
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while (-not (Test-Path $marker) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $marker | Should -Exist

        $output = New-AuditCheckpoint -Verbose 4>&1

        $waits = @($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Waiting*' })
        $waits.Count | Should -Be 1
        $waits[0].Message | Should -BeLike "Waiting up to 15 s for the write lock on '$path', which another writer holds."
        @($output | Where-Object Sequence).Count | Should -Be 1
        $holder | Receive-Job -Wait -AutoRemoveJob | Should -Contain 'locked'
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}

Describe 'The default store' {
    It 'is $env:AUDITGUARD_STORE when set' {
        $path = Join-Path $TestDrive 'from-env.db'
        $result = Invoke-FreshPwsh -ImportModule -Script '(Get-AuditStore).Path' -Environment @{ AUDITGUARD_STORE = $path }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[-1] | Should -Be $path
        $path | Should -Exist
    }

    # XDG_DATA_HOME and mode bits are how Unix places and protects it; Windows uses %LOCALAPPDATA%.
    It 'is AuditGuard/audit.db under the per-user data folder otherwise, in an owner-only folder' -Skip:$IsWindows {
        $data = Join-Path $TestDrive 'xdg-data'
        $result = Invoke-FreshPwsh -ImportModule -Script 'Connect-AuditStore; (Get-AuditStore).Path' -Environment @{
            AUDITGUARD_STORE = ''; XDG_DATA_HOME = $data
        }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $expected = Join-Path $data 'AuditGuard/audit.db'
        $result.Output[-1] | Should -Be $expected
        Get-UnixMode (Join-Path $data 'AuditGuard') | Should -Be '700'
        Get-UnixMode $expected | Should -Be '600'
    }
}

Describe 'Bad store paths' {
    BeforeEach {
        $script:current = Connect-AuditStore -Path (Join-Path $TestDrive 'current.db') -PassThru
    }

    AfterEach {
        # A refused connection leaves no store connected: never the store before it, never the default.
        { Get-AuditStore } | Should -Throw -ErrorId 'AuditStoreNotConnected,AuditGuard.Cmdlets.GetAuditStoreCommand'
        (Get-AuditStore -Store $current).StoreId | Should -Be $current.StoreId
    }

    It 'refuses a path in a missing folder and creates nothing' {
        $path = Join-Path $TestDrive 'missing/folder/store.db'
        { Connect-AuditStore -Path $path } | Should -Throw -ErrorId 'AuditStoreFolderNotFound,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        Join-Path $TestDrive 'missing' | Should -Not -Exist
    }

    # A read-only tmpfs mount (as root) or mode bits make the folder unwritable; neither exists on Windows.
    It 'refuses a path in a folder it cannot write to' -Skip:$IsWindows {
        $folder = Join-Path $TestDrive 'readonly'
        New-ReadOnlyFolder $folder
        try {
            { Connect-AuditStore -Path (Join-Path $folder 'store.db') } |
                Should -Throw -ErrorId 'AuditStoreFolderNotWritable,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
            Get-ChildItem -Force $folder | Should -BeNullOrEmpty
        }
        finally { Remove-ReadOnlyFolder $folder }
    }

    It 'refuses a file that is not a SQLite database and leaves it as it was' {
        $path = Join-Path $TestDrive 'notes.txt'
        Set-Content -Path $path -Value ('not a database ' * 100)
        $before = (Get-FileHash $path).Hash
        $failure = { Connect-AuditStore -Path $path } | Should -Throw -ErrorId 'AuditStoreNotADatabase,AuditGuard.Cmdlets.ConnectAuditStoreCommand' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'InvalidData'
        $failure.TargetObject | Should -Be $path
        (Get-FileHash $path).Hash | Should -Be $before
        "$path-wal" | Should -Not -Exist
    }

    It 'refuses a SQLite database that another application created and leaves it as it was' {
        $path = Join-Path $TestDrive 'foreign.db'
        sqlite3 $path "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x');"
        $before = (Get-FileHash $path).Hash
        { Connect-AuditStore -Path $path } | Should -Throw -ErrorId 'AuditStoreForeignDatabase,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        (Get-FileHash $path).Hash | Should -Be $before
        sqlite3 $path 'SELECT name FROM sqlite_master' | Should -Be 'customers'
    }

    It 'refuses a store whose schema is newer than this module' {
        $path = Join-Path $TestDrive 'future.db'
        Connect-AuditStore -Path $path
        Connect-AuditStore -Path (Join-Path $TestDrive 'current.db')
        sqlite3 $path "INSERT INTO schema_version(version, applied) VALUES (99, '2030-01-01T00:00:00.000Z');"
        $failure = { Connect-AuditStore -Path $path } | Should -Throw -ErrorId 'AuditStoreSchemaTooNew,AuditGuard.Cmdlets.ConnectAuditStoreCommand' -PassThru
        $failure.Exception.Message | Should -Match 'version 99'
        sqlite3 $path 'SELECT max(version) FROM schema_version' | Should -Be '99'
    }

    It 'refuses a folder given as the store path' {
        { Connect-AuditStore -Path $TestDrive } | Should -Throw -ErrorId 'AuditStorePathIsFolder,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
    }

    It 'refuses a path that is not on the file system' {
        { Connect-AuditStore -Path 'Env:PATH' } | Should -Throw -ErrorId 'AuditStorePathInvalid,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
    }

    It 'refuses an empty or null path, never taking it for the default store' {
        { Connect-AuditStore -Path '' } | Should -Throw -ErrorId 'AuditStorePathInvalid,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        $current = Connect-AuditStore -Path (Join-Path $TestDrive 'current.db') -PassThru
        { Connect-AuditStore -Path $env:AUDITGUARD_NO_SUCH_VARIABLE } | Should -Throw -ErrorId 'AuditStorePathInvalid,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        { Connect-AuditStore -SigningCertificatePath '' } | Should -Throw -ErrorId 'SigningCertificateNotFound,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
    }
}

Describe 'Get-AuditStore -ConnectionString' {
    It 'refuses -Store beside it rather than ignoring one, before connecting anywhere' {
        $path = Join-Path $TestDrive 'selected.db'
        Connect-AuditStore -Path $path
        # Port 9 on loopback: a connection would fail with AuditStoreServerUnreachable, not the conflict.
        { Get-AuditStore -ConnectionString 'Host=127.0.0.1;Port=9;Database=audit' -Store $path } |
            Should -Throw -ErrorId 'AuditStoreSelectionConflict,AuditGuard.Cmdlets.GetAuditStoreCommand'
        (Get-AuditStore).Path | Should -Be $path
    }
}
