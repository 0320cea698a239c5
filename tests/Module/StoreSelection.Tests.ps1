# Which store a command records in: never one the script did not choose.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # Each case gets its own folder, a default store path inside it that must stay absent, and a file to change.
    function New-Case([string] $Name) {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive $Name)).FullName
        $file = Join-Path $folder 'motd.txt'
        Set-Content -Path $file -Value 'first' -NoNewline
        [pscustomobject]@{
            Folder  = $folder
            Store   = Join-Path $folder 'chosen.db'
            Default = Join-Path $folder 'default.db'
            File    = $file
        }
    }

    function Invoke-Case($Case, [string] $Script) {
        $result = Invoke-FreshPwsh -ImportModule -Script $Script -WorkingDirectory $Case.Folder -Environment @{ AUDITGUARD_STORE = $Case.Default }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result
    }
}

Describe 'A Connect-AuditStore that fails' {
    BeforeAll {
        $script:case = New-Case 'failed-connect'
        Set-Content -Path (Join-Path $case.Folder 'not-a-store.db') -Value 'plain text, not a database'
        $script:result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1' | Out-Null
try { Connect-AuditStore -Path ./not-a-store.db } catch { 'connect:' + `$_.FullyQualifiedErrorId }
try {
    Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'third' } -Reason 'CHG-2' | Out-Null
    'write:done'
} catch { 'write:' + `$_.FullyQualifiedErrorId }
try { 'quiet:' + (Test-AuditChain -Quiet) } catch { 'verify:' + `$_.FullyQualifiedErrorId }
Connect-AuditStore -Path '$($case.Store)'
'operations:' + @(Get-Operation).Count
"@
    }

    It 'leaves no store connected, so the next write fails instead of landing elsewhere' {
        $result.Output | Should -Contain 'connect:AuditStoreNotADatabase,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        $result.Output | Should -Contain 'write:AuditStoreNotConnected,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $case.File | Should -Be 'second'
    }

    It 'does not verify some other store in its place' {
        $result.Output | Should -Contain 'verify:AuditStoreNotConnected,AuditGuard.Cmdlets.TestAuditChainCommand'
    }

    It 'never creates or writes the default store, and the chosen store keeps only its own write' {
        $case.Default | Should -Not -Exist
        $result.Output | Should -Contain 'operations:1'
    }
}

Describe 'Disconnect-AuditStore' {
    It 'leaves no store connected: the next command fails rather than use the default store' {
        $case = New-Case 'disconnect'
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
Disconnect-AuditStore -Verbose 4>&1 | ForEach-Object { 'verbose:' + `$_ }
try { Get-AuditStore | Out-Null; 'store:found' } catch { 'store:' + `$_.Exception.Message }
"@
        $result.Output | Should -Contain "verbose:Closed the store '$($case.Store)'."
        $result.Output | Where-Object { $_ -like 'store:*' } | Should -Match '^store:No store is connected: Disconnect-AuditStore'
        $case.Default | Should -Not -Exist
    }
}

Describe 'The default store' {
    It 'is used only when nothing was connected, and -Verbose names it' {
        $case = New-Case 'default'
        $result = Invoke-Case $case @"
(Get-AuditStore -Verbose 4>&1) | Where-Object { `$_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { 'verbose:' + `$_ }
"@
        $result.Output | Should -Contain "verbose:No store was connected in this session: using the default store '$($case.Default)'."
        $case.Default | Should -Exist
    }
}

Describe 'Removing the module, or importing it again' {
    It 'closes the connected store and never falls back to the default one' {
        $case = New-Case 'reimport'
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
Import-Module (Get-Module AuditGuard).Path -Force
try { Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'after re-import' | Out-Null; 'write:done' } catch { 'write:' + `$_.FullyQualifiedErrorId }
"@
        $result.Output | Should -Be 'write:AuditStoreNotConnected,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $case.Default | Should -Not -Exist
    }
}

Describe 'A -WhatIf rehearsal' {
    It 'creates no store and connects none when the store is missing' {
        $case = New-Case 'whatif-missing'
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)' -WhatIf
try {
    Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1' -WhatIf | Out-Null
    'dryrun:recorded'
} catch { 'dryrun:' + `$_.FullyQualifiedErrorId + ':' + `$_.Exception.Message }
"@
        $result.Output | Where-Object { $_ -like 'dryrun:*' } | Should -Match "^dryrun:AuditStoreNotConnected,.*did not create the store '.*chosen\.db' under -WhatIf"
        $case.Store | Should -Not -Exist
        $case.Default | Should -Not -Exist
        Get-ChildItem $case.Folder -Name | Should -Be 'motd.txt'
    }

    It 'connects an existing store and records its dry runs there' {
        $case = New-Case 'whatif-existing'
        $null = Invoke-Case $case "Connect-AuditStore -Path '$($case.Store)'"
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)' -WhatIf
`$dryRun = Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1' -WhatIf
'state:' + `$dryRun.State
'store:' + (Get-AuditStore).Path
"@
        $result.Output | Should -Contain 'state:DryRun'
        $result.Output | Should -Contain "store:$($case.Store)"
        Get-Content -Raw $case.File | Should -Be 'first'
        $case.Default | Should -Not -Exist
    }

    It 'previews without recording on a read-only store, and says so' {
        $case = New-Case 'whatif-readonly'
        $null = Invoke-Case $case "Connect-AuditStore -Path '$($case.Store)'; New-AuditCheckpoint | Out-Null"
        $copy = Join-Path $case.Folder 'received.db'
        Copy-Item $case.Store $copy
        $before = (Get-FileHash $copy).Hash
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$copy' -WarningAction SilentlyContinue
`$dryRun = Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1' -WhatIf -WarningVariable warned -WarningAction SilentlyContinue
'state:' + `$dryRun.State
'records:' + @(`$dryRun.Records).Count
'preview:' + `$dryRun.Preview.Summary
'warning:' + (`$warned -join ' ')
'operations:' + @(Get-Operation).Count
"@
        $result.Output | Should -Contain 'state:DryRun'
        $result.Output | Should -Contain 'records:0'
        $result.Output | Should -Contain 'operations:0'
        $result.Output | Where-Object { $_ -like 'preview:*' } | Should -Not -Be 'preview:'
        $result.Output | Where-Object { $_ -like 'warning:*' } | Should -Match 'previewed and not recorded.*read-only'
        (Get-FileHash $copy).Hash | Should -Be $before
        Get-Content -Raw $case.File | Should -Be 'first'
    }
}

Describe 'A process that exits without Disconnect-AuditStore' {
    It 'leaves every record in the database file itself, with no write-ahead log beside it' {
        $case = New-Case 'exit'
        $null = Invoke-Case $case "Connect-AuditStore -Path '$($case.Store)'; New-AuditCheckpoint | Out-Null"
        "$($case.Store)-wal" | Should -Not -Exist
        $copy = Join-Path $case.Folder 'copy.db'
        Copy-Item $case.Store $copy
        $result = Invoke-Case $case "Connect-AuditStore -Path '$copy' -WarningAction SilentlyContinue; (Get-AuditStore).RecordCount; Test-AuditChain -Quiet"
        $result.Output | Should -Be @('2', 'True')
    }
}

Describe 'Runspaces of ForEach-Object -Parallel' {
    It 'record in the store the script connected' {
        $case = New-Case 'parallel'
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
`$module = (Get-Module AuditGuard).Path
1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
    Import-Module `$using:module
    Invoke-GuardedWrite -Connector FileSystem -Target (Join-Path '$($case.Folder)' "file-`$_.txt") -Action SetContent -Parameters @{ Value = "`$_" } -Reason 'CHG-parallel' | Out-Null
}
'operations:' + @(Get-Operation -State Closed).Count
'valid:' + (Test-AuditChain -Quiet)
"@
        $result.Output | Should -Contain 'operations:3'
        $result.Output | Should -Contain 'valid:True'
        $case.Default | Should -Not -Exist
    }
}

Describe '-Store' {
    BeforeAll {
        $script:case = New-Case 'named'
        $script:other = Join-Path $case.Folder 'other.db'
        $null = Invoke-Case $case @"
Connect-AuditStore -Path '$other'
Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'other' } -Reason 'CHG-other' | Out-Null
Disconnect-AuditStore
"@
        $script:result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
'byPath:' + @(Get-Operation -Store ./other.db).Count
'connected:' + @(Get-Operation).Count
`$object = Get-AuditStore -Store ./other.db
'verified:' + (Test-AuditChain -Store `$object).Store
'file:' + @(Get-Operation -Store (Get-Item ./other.db)).Reason
try { Get-Operation -Store ./missing.db | Out-Null } catch { 'missing:' + `$_.FullyQualifiedErrorId }
'still:' + (Get-AuditStore).Path
"@
    }

    It 'reads the store it names, by path, as a store object or as a file' {
        $result.Output | Should -Contain 'byPath:1'
        $result.Output | Should -Contain "verified:$other"
        $result.Output | Should -Contain 'file:CHG-other'
    }

    It 'leaves the connected store connected' {
        $result.Output | Should -Contain 'connected:0'
        $result.Output | Should -Contain "still:$($case.Store)"
    }

    It 'naming the connected store leaves it connected and open' {
        $again = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
Get-AuditRecord -Store '$($case.Store)' | Out-Null
Get-AuditStore -Store (Get-AuditStore) | Out-Null
(Invoke-GuardedWrite -Connector Script -Target 'still' -ScriptBlock { } -Reason 'still open').State
"@
        $again.Output | Should -Be 'Closed'
    }

    It 'never creates a store' {
        $result.Output | Should -Contain 'missing:AuditStoreNotFound,AuditGuard.Cmdlets.GetOperationCommand'
        Join-Path $case.Folder 'missing.db' | Should -Not -Exist
        $case.Default | Should -Not -Exist
    }
}

Describe 'Every command that touches a store' {
    It 'takes -Store; only the commands that choose a store or never open one do not' {
        $result = Invoke-FreshPwsh -ImportModule -Script @'
Get-Command -Module AuditGuard -CommandType Cmdlet | Where-Object { -not $_.Parameters.ContainsKey('Store') } | ForEach-Object Name | Sort-Object
'@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be @('Connect-AuditStore', 'Disconnect-AuditStore', 'Get-GuardConnector', 'Initialize-AuditDatabase', 'New-AuditSigningCertificate', 'Test-EvidenceBundle')
    }
}

Describe 'A store on read-only media' {
    BeforeAll {
        $script:case = New-Case 'readonly-media'
        $null = Invoke-Case $case "Connect-AuditStore -Path '$($case.Store)'; Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1' | Out-Null; New-AuditCheckpoint | Out-Null"
        $script:media = Join-Path $case.Folder 'media'
        New-ReadOnlyFolder -Path $media -Files $case.Store
        $script:result = Invoke-Case $case @"
Connect-AuditStore -Path '$media/chosen.db' -WarningVariable warned -WarningAction SilentlyContinue
'warning:' + (`$warned -join ' ')
`$verification = Test-AuditChain
'valid:' + `$verification.IsValid + ':' + `$verification.RecordsChecked
'operations:' + @(Get-Operation).Count
try { New-AuditCheckpoint | Out-Null; 'append:done' } catch { 'append:' + `$_.FullyQualifiedErrorId }
try { Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'third' } -Reason 'CHG-2' | Out-Null; 'write:done' } catch { 'write:' + `$_.FullyQualifiedErrorId }
"@
    }

    AfterAll { Remove-ReadOnlyFolder $media }

    It 'opens for reading, says why it is read-only, and verifies' {
        $result.Output | Where-Object { $_ -like 'warning:*' } | Should -Match 'cannot be written by this process'
        $result.Output | Should -Contain 'valid:True:4'
        $result.Output | Should -Contain 'operations:1'
    }

    It 'refuses every append before anything changes' {
        $result.Output | Should -Contain 'append:AuditStoreReadOnly,AuditGuard.Cmdlets.NewAuditCheckpointCommand'
        $result.Output | Should -Contain 'write:AuditStoreReadOnly,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $case.File | Should -Be 'second'
        Get-ChildItem -Force $media -Name | Should -Be 'chosen.db'
    }
}

Describe 'A copy on read-only media that left its newest records in the -wal file' {
    It 'is refused with AuditStoreLogUnreadable rather than verified without them' {
        $case = New-Case 'readonly-wal'
        $staging = (New-Item -ItemType Directory -Path (Join-Path $case.Folder 'staging')).FullName
        $null = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
New-AuditCheckpoint | Out-Null
Copy-Item '$($case.Store)', '$($case.Store)-wal' -Destination '$staging'
"@
        (Get-Item (Join-Path $staging 'chosen.db-wal')).Length | Should -BeGreaterThan 0
        $media = Join-Path $case.Folder 'media'
        New-ReadOnlyFolder -Path $media -Files (Get-ChildItem $staging).FullName
        try {
            $result = Invoke-Case $case "try { Connect-AuditStore -Path '$media/chosen.db' } catch { `$_.FullyQualifiedErrorId }"
            $result.Output | Should -Be 'AuditStoreLogUnreadable,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }
        finally { Remove-ReadOnlyFolder $media }
    }
}

Describe 'A store read as an unchanging file that another process then writes' {
    It 'is refused instead of read short of its new records' -Skip:(-not (Test-IsRoot)) {
        $case = New-Case 'immutable-changed'
        $null = Invoke-Case $case "Connect-AuditStore -Path '$($case.Store)'; New-AuditCheckpoint | Out-Null"
        $view = (New-Item -ItemType Directory -Path (Join-Path $case.Folder 'view')).FullName
        mount --bind $case.Folder $view
        mount -o remount,ro,bind $view
        try {
            $result = Invoke-Case $case @"
Connect-AuditStore -Path '$view/chosen.db' -WarningAction SilentlyContinue
'before:' + (Test-AuditChain).RecordsChecked
& '$(Get-PwshPath)' -NoProfile -NonInteractive -Command "Import-Module '$(Get-AuditGuardModulePath)'; Connect-AuditStore -Path '$($case.Store)'; New-AuditCheckpoint | Out-Null"
try { Test-AuditChain | Out-Null; 'after:verified' } catch { 'after:' + `$_.FullyQualifiedErrorId }
try { Backup-AuditStore -Destination '$($case.Folder)/copy.db' | Out-Null; 'backup:done' } catch { 'backup:' + `$_.FullyQualifiedErrorId }
"@
            $result.Output | Should -Contain 'before:2'
            $result.Output | Should -Contain 'after:AuditStoreChanged,AuditGuard.Cmdlets.TestAuditChainCommand'
            $result.Output | Should -Contain 'backup:AuditStoreChanged,AuditGuard.Cmdlets.BackupAuditStoreCommand'
            Join-Path $case.Folder 'copy.db' | Should -Not -Exist
        }
        finally { umount $view }
    }
}

Describe 'Backup-AuditStore' {
    It 'copies a store in use, newest records included, to one file that verifies on its own' {
        $case = New-Case 'backup'
        $result = Invoke-Case $case @"
Connect-AuditStore -Path '$($case.Store)'
1..3 | ForEach-Object { Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = "v`$_" } -Reason 'CHG-backup' | Out-Null }
'wal:' + (Test-Path '$($case.Store)-wal')
(Backup-AuditStore -Destination ./copy.db).Name
try { Backup-AuditStore -Destination ./copy.db | Out-Null } catch { 'again:' + `$_.FullyQualifiedErrorId }
`$copy = Test-AuditChain -Store ./copy.db -WarningAction SilentlyContinue
'copy:' + `$copy.IsValid + ':' + `$copy.RecordsChecked + ':' + (`$copy.HeadHash -eq (Get-AuditStore).HeadHash)
"@
        $result.Output | Should -Contain 'wal:True'
        $result.Output | Should -Contain 'copy.db'
        $result.Output | Should -Contain 'again:AuditExportTargetExists,AuditGuard.Cmdlets.BackupAuditStoreCommand'
        $result.Output | Should -Contain 'copy:True:7:True'
        Get-ChildItem $case.Folder -Name -Filter 'copy*' | Should -Be 'copy.db'
        Get-ChildItem $case.Folder -Name -Filter '*.key' | Should -Be 'chosen.db.secret.key'
    }
}
