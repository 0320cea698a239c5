# Attacks by someone who can write the store's files, each with what must notice it.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    function New-StoreWithOneWrite([string] $Folder) {
        $store = Join-Path $Folder 'audit.db'
        $file = Join-Path $Folder 'motd.txt'
        Set-Content -Path $file -Value 'first' -NoNewline
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$store'
(Invoke-GuardedWrite -Connector FileSystem -Target '$file' -Action SetContent -Parameters @{ Value = 'second' } -Reason 'CHG-1').OperationId
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        [pscustomobject]@{ Store = $store; File = $file; OperationId = $result.Output[-1] }
    }

    # Runs SQL on the store file the way an attacker editing it by hand would, with the sqlite3 shell.
    function Invoke-Sqlite([string] $Path, [string] $Sql) {
        $Sql | sqlite3 $Path
        if ($LASTEXITCODE -ne 0) { throw "sqlite3 failed on $Path" }
    }
}

Describe 'A trigger planted in the store file' {
    BeforeAll {
        $script:case = New-StoreWithOneWrite (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'planted')).FullName
        Invoke-Sqlite $case.Store @"
CREATE TRIGGER quiet_outcomes BEFORE INSERT ON records WHEN NEW.type = 'operation.outcome' BEGIN SELECT RAISE(IGNORE); END;
CREATE TRIGGER quiet_index BEFORE UPDATE ON operations BEGIN SELECT RAISE(IGNORE); END;
"@
        $script:before = Get-FileHash -Path $case.Store
        $script:result = Invoke-FreshPwsh -ImportModule -Script @"
`$ErrorActionPreference = 'Continue'
Connect-AuditStore -Path '$($case.Store)' -WarningVariable warned -WarningAction SilentlyContinue
'warning:' + (`$warned -join ' ')
try {
    Invoke-GuardedWrite -Connector FileSystem -Target '$($case.File)' -Action SetContent -Parameters @{ Value = 'third' } -Reason 'CHG-2' -ErrorAction Stop | Out-Null
    'write:done'
} catch { 'write:' + `$_.FullyQualifiedErrorId }
'quiet:' + (Test-AuditChain -Quiet)
Test-AuditChain | ForEach-Object Verdicts | Where-Object Kind -eq 'SchemaAltered' | ForEach-Object { 'verdict:' + `$_.Message }
"@
    }

    It 'opens the store for reading only, and says why' {
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Where-Object { $_ -like 'warning:*' } | Should -Match 'altered outside AuditGuard.*quiet_outcomes'
    }

    It 'refuses the guarded write before anything changes' {
        $result.Output | Should -Contain 'write:AuditStoreSchemaAltered,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $case.File | Should -Be 'second'
        (Get-FileHash -Path $case.Store).Hash | Should -Be $before.Hash
    }

    It 'is reported by Test-AuditChain, object by object' {
        $result.Output | Should -Contain 'quiet:False'
        @($result.Output | Where-Object { $_ -like 'verdict:*' }).Count | Should -Be 2
        $result.Output | Where-Object { $_ -like 'verdict:*' } | Should -Match "trigger 'quiet_(outcomes|index)'"
    }
}

Describe 'A record re-signed by someone holding the key, with a repeated JSON key' {
    BeforeAll {
        $script:case = New-StoreWithOneWrite (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'repeated')).FullName
        $intentSequence = [long](Invoke-FreshPwsh -ImportModule -Script "Connect-AuditStore -Path '$($case.Store)'; (Get-Operation -OperationId $($case.OperationId)).Records[0]").Output[-1]
        $body = sqlite3 $case.Store "SELECT CAST(body AS TEXT) FROM records WHERE seq = $intentSequence"
        # Two readers could read this body two ways: one sees the first reason, one the second.
        $forged = $body -replace '"reason":"CHG-1"', '"reason":"CHG-1","reason":"approved by the CAB"'
        $forged | Should -Not -Be $body
        $bytes = [Text.Encoding]::UTF8.GetBytes($forged)
        $key = [Security.Cryptography.X509Certificates.X509Certificate2]::new("$($case.Store).signer.pfx", [string]$null)
        $cms = [Security.Cryptography.Pkcs.SignedCms]::new([Security.Cryptography.Pkcs.ContentInfo]::new($bytes), $true)
        $signer = [Security.Cryptography.Pkcs.CmsSigner]::new([Security.Cryptography.Pkcs.SubjectIdentifierType]::IssuerAndSerialNumber, $key)
        $signer.IncludeOption = 'None'
        $cms.ComputeSignature($signer)
        $hex = { param($b) [Convert]::ToHexString($b) }
        # The append-only trigger is dropped for the edit and made again from its own text, so the schema looks untouched.
        $guard = (sqlite3 $case.Store "SELECT sql FROM sqlite_master WHERE name = 'records_append_only_update'") -join "`n"
        Invoke-Sqlite $case.Store (@(
            'DROP TRIGGER records_append_only_update;'
            "UPDATE records SET body = x'$(& $hex $bytes)', hash = x'$(& $hex ([Security.Cryptography.SHA256]::HashData($bytes)))', signature = x'$(& $hex $cms.Encode())' WHERE seq = $intentSequence;"
            "$guard;"
        ) -join "`n")
        $script:sequence = $intentSequence
        $script:result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$($case.Store)'
'quiet:' + (Test-AuditChain -Quiet)
Test-AuditChain | ForEach-Object Verdicts | ForEach-Object { 'verdict:' + `$_.Kind + ':' + `$_.Sequence }
'operations:' + @(Get-Operation -WarningVariable unreadable -WarningAction SilentlyContinue).Count
'warning:' + (`$unreadable -join ' ')
"@
    }

    It 'is reported as BodyMalformed, and neither Test-AuditChain nor Get-Operation throws' {
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'quiet:False'
        $result.Output | Should -Contain "verdict:BodyMalformed:$sequence"
        $result.Output | Should -Contain 'operations:0'
    }

    It 'is not left out of Get-Operation silently' {
        $result.Output | Where-Object { $_ -like 'warning:*' } | Should -Match "1 operation\(s\) .* cannot be read .*$($case.OperationId).*Test-AuditChain"
    }
}

Describe 'A store folder removed under a connected session' {
    It 'refuses the next write before anything changes, instead of writing into unlinked files' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'doomed')
        $file = Join-Path $TestDrive 'doomed-target.txt'
        Set-Content -Path $file -Value 'untouched' -NoNewline
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$(Join-Path $folder 'audit.db')'
Remove-Item -Recurse -Force '$folder'
try {
    Invoke-GuardedWrite -Connector FileSystem -Target '$file' -Action SetContent -Parameters @{ Value = 'changed' } -Reason 'CHG-9' -ErrorAction Stop | Out-Null
    'write:done'
} catch { 'write:' + `$_.FullyQualifiedErrorId }
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'write:AuditStoreMissing,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $file | Should -Be 'untouched'
    }
}

Describe 'Files someone else placed where a store is about to be created' {
    BeforeAll {
        $script:other = 'auditguard-other'
        if ((Test-IsRoot) -and -not (Get-Command useradd -ErrorAction Ignore)) { throw 'useradd is needed to act as another user.' }
        if ((Test-IsRoot) -and -not (id -u $other 2>$null)) { useradd --no-create-home --shell /usr/sbin/nologin $other | Out-Null }

        function Test-Connect([string] $Store) {
            Invoke-FreshPwsh -ImportModule -Script @"
try { Connect-AuditStore -Path '$Store' -ErrorAction Stop; 'connect:done' } catch { 'connect:' + `$_.FullyQualifiedErrorId }
"@
        }
    }

    It 'refuses a folder other users can write to, and leaves what they placed untouched' -Skip:(-not (Test-IsRoot)) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'open-to-all')
        chmod 1777 $folder
        $store = Join-Path $folder 'audit.db'
        # An empty database file and key files of their own, as the attack on the core placed them.
        runuser -u $other -- sh -c "touch '$store'"
        foreach ($name in 'audit.db.signer.pfx', 'audit.db.secret.key') {
            runuser -u $other -- sh -c "printf planted > '$(Join-Path $folder $name)'"
        }
        $before = Get-ChildItem $folder | Get-FileHash

        $result = Test-Connect $store

        $result.Output | Should -Contain 'connect:AuditStoreFolderUnsafe,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        (Get-ChildItem $folder | Get-FileHash).Hash | Should -Be $before.Hash
    }

    It 'never turns another user''s empty file into a store' -Skip:(-not (Test-IsRoot)) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'theirs')
        $store = Join-Path $folder 'audit.db'
        New-Item -ItemType File -Path $store | Out-Null
        chmod 600 $store
        chown $other $store

        $result = Test-Connect $store

        $result.Output | Should -Contain 'connect:AuditStoreAdoptionRefused,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        (Get-Item $store).Length | Should -Be 0
        Get-ChildItem $folder | Should -HaveCount 1
    }

    It 'never adopts key files that precede their store' {
        $folder = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'keys-first')
        $store = Join-Path $folder 'audit.db'
        Set-Content -Path "$store.secret.key" -Value ('k' * 32) -NoNewline

        $result = Test-Connect $store

        $result.Output | Should -Contain 'connect:AuditStoreAdoptionRefused,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        Test-Path $store | Should -BeFalse
    }
}

Describe 'A store whose records were all removed' {
    It 'is refused, never given a fresh chain signed with its own key' {
        $case = New-StoreWithOneWrite (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'emptied')).FullName
        $guard = (sqlite3 $case.Store "SELECT sql FROM sqlite_master WHERE name = 'records_append_only_delete'") -join "`n"
        Invoke-Sqlite $case.Store "DROP TRIGGER records_append_only_delete; DELETE FROM records; $guard;"

        $result = Invoke-FreshPwsh -ImportModule -Script @"
try { Connect-AuditStore -Path '$($case.Store)' -ErrorAction Stop; 'connect:done' } catch { 'connect:' + `$_.FullyQualifiedErrorId }
"@

        $result.Output | Should -Contain 'connect:AuditStoreEmptied,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        sqlite3 $case.Store 'SELECT count(*) FROM records' | Should -Be '0'
    }
}

Describe 'Pinning a store to its signer' {
    It 'verifies against the expected signer and reports any other as UnexpectedSigner' {
        $case = New-StoreWithOneWrite (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'pinned')).FullName
        $stranger = New-TestCertificate -Subject 'CN=Someone else'
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$($case.Store)'
`$own = (Get-AuditStore).SignerCertificate
'own:' + (Test-AuditChain -ExpectedSigner `$own).IsValid
'thumbprint:' + (Test-AuditChain -ExpectedSigner `$own.Thumbprint.ToLowerInvariant()).IsValid
`$other = Test-AuditChain -ExpectedSigner '$($stranger.Thumbprint)'
'other:' + `$other.IsValid
'kind:' + (`$other.Verdicts | Where-Object Severity -eq 'Error' | Select-Object -First 1).Kind
'store:' + `$other.Store
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'own:True'
        $result.Output | Should -Contain 'thumbprint:True'
        $result.Output | Should -Contain 'other:False'
        $result.Output | Should -Contain 'kind:UnexpectedSigner'
        $result.Output | Should -Contain "store:$($case.Store)"
    }
}

Describe 'A symbolic link planted where evidence is exported' {
    It 'is refused, even with -Force, and what it points at is left alone' {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'planted-link')).FullName
        $victim = Join-Path $folder 'victim.txt'
        Set-Content -Path $victim -Value 'keep' -NoNewline
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'witness.json') -Target $victim | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder '1.json') -Target (Join-Path $folder 'elsewhere.json') | Out-Null
        $result = Invoke-FreshPwsh -ImportModule -WorkingDirectory $folder -Script @'
Connect-AuditStore -Path ./audit.db
New-AuditCheckpoint | Out-Null
try { Export-AuditCheckpoint -Path ./witness.json -Force | Out-Null; 'witness:written' } catch { 'witness:' + $_.FullyQualifiedErrorId }
try { Export-AuditRecord -Sequence 1 -Path . -Force | Out-Null; 'record:written' } catch { 'record:' + $_.FullyQualifiedErrorId }
'@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'witness:AuditExportTargetIsLink,AuditGuard.Cmdlets.ExportAuditCheckpointCommand'
        $result.Output | Should -Contain 'record:AuditExportTargetIsLink,AuditGuard.Cmdlets.ExportAuditRecordCommand'
        Get-Content -Raw $victim | Should -Be 'keep'
        Join-Path $folder 'elsewhere.json' | Should -Not -Exist
        Join-Path $folder 'witness.json.p7s' | Should -Not -Exist
    }
}

Describe 'Remove through a symbolic link' {
    It 'is refused and recorded as refused, and neither the link nor what it points at is removed' {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'remove-link')).FullName
        Set-Content -Path (Join-Path $folder 'real.txt') -Value 'x'
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'link.txt') -Target (Join-Path $folder 'real.txt') | Out-Null
        $result = Invoke-FreshPwsh -ImportModule -WorkingDirectory $folder -Script @'
Connect-AuditStore -Path ./audit.db
$operation = Invoke-GuardedWrite -Connector FileSystem -Target ./link.txt -Action Remove -Reason 'CHG-link' -ErrorAction SilentlyContinue -ErrorVariable refused
$operation.State
$refused[0].FullyQualifiedErrorId
'@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be @('ValidationFailed', 'OperationParameterInvalid,AuditGuard.Cmdlets.InvokeGuardedWriteCommand')
        Join-Path $folder 'real.txt' | Should -Exist
        (Get-Item (Join-Path $folder 'link.txt')).LinkTarget | Should -Not -BeNullOrEmpty
    }
}
