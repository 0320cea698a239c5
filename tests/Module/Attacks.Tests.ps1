# Attacks by someone who can write the store's files, each with what must notice it.
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
'operations:' + @(Get-Operation).Count
"@
    }

    It 'is reported as BodyMalformed, and neither Test-AuditChain nor Get-Operation throws' {
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'quiet:False'
        $result.Output | Should -Contain "verdict:BodyMalformed:$sequence"
        $result.Output | Should -Contain 'operations:0'
    }
}
