BeforeDiscovery {
    # Run against the throwaway PostgreSQL server build.ps1 -Task Test started; without one, every
    # test here reports itself skipped (build.ps1 prints why), never passed.
    $script:noServer = -not $env:AUDITGUARD_TEST_POSTGRES
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    function Get-ServerField([string] $Name) { [regex]::Match($env:AUDITGUARD_TEST_POSTGRES, "(?i)(?:^|;)$Name=([^;]*)").Groups[1].Value }

    function Get-Psql {
        $psql = Get-Command psql -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if ($psql) { return $psql.Source }
        (Get-ChildItem '/usr/lib/postgresql/*/bin/psql' | Select-Object -Last 1).FullName
    }

    # Runs SQL as -User (the superuser by default) in -Database; returns stdout, stderr and the exit code.
    function Invoke-Psql([string] $Sql, [string] $Database = 'postgres', [string] $User = 'postgres', [string] $Password = (Get-ServerField 'Password')) {
        $env:PGPASSWORD = $Password
        try {
            $output = & (Get-Psql) -h (Get-ServerField 'Host') -p (Get-ServerField 'Port') -U $User -d $Database -v ON_ERROR_STOP=1 -At -c $Sql 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
        }
        finally { $env:PGPASSWORD = $null }
    }

    # A new database, initialised by its owner with Initialize-AuditDatabase in a child pwsh.
    function New-CentralDatabase {
        $name = 'agp_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        (Invoke-Psql "CREATE DATABASE $name").ExitCode | Should -Be 0
        $name
    }

    function Get-ConnectionString([string] $Database) { "Host=$(Get-ServerField 'Host');Port=$(Get-ServerField 'Port');Database=$Database" }

    # A login role of -Role (auditguard_writer or auditguard_reader), with a random password.
    function New-Login([string] $Role) {
        $login = 'agl_' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        $password = [guid]::NewGuid().ToString('N')
        (Invoke-Psql "CREATE ROLE $login LOGIN PASSWORD '$password' IN ROLE $Role").ExitCode | Should -Be 0
        [pscustomobject]@{ User = $login; Password = $password }
    }

    # Script text that builds $cred in a child for a login.
    function Get-CredentialScript([string] $User, [string] $Password) {
        "`$cred = [pscredential]::new('$User', (ConvertTo-SecureString '$Password' -AsPlainText -Force))"
    }

    function Invoke-Central([string] $Script, [string] $Folder, [hashtable] $Environment = @{}) {
        $environment = @{ XDG_DATA_HOME = (Join-Path $Folder 'data') } + $Environment
        Invoke-FreshPwsh -ImportModule -Script $Script -WorkingDirectory $Folder -Environment $environment -TimeoutSeconds 240
    }

    function New-WorkFolder {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        if (-not $IsWindows) { & chmod 700 $folder }
        $folder
    }
}

Describe 'A central store in PostgreSQL' -Skip:$noServer {
    BeforeEach {
        $script:database = New-CentralDatabase
        $script:connection = Get-ConnectionString $database
        $script:owner = Get-CredentialScript 'postgres' (Get-ServerField 'Password')
        $script:work = New-WorkFolder
        $result = Invoke-Central -Folder $work -Script @"
$owner
`$first = Initialize-AuditDatabase -ConnectionString '$connection' -Credential `$cred -Confirm:`$false
`$again = Initialize-AuditDatabase -ConnectionString '$connection' -Credential `$cred -Confirm:`$false
'first:' + `$first.SchemaVersionBefore + ':' + `$first.SchemaVersion + ':' + `$first.Changes.Count
'again:' + `$again.SchemaVersionBefore + ':' + `$again.Changes.Count + ':' + `$again.Alterations.Count
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        # Schema, derived table, privileges; and the two roles unless an earlier database of the cluster made them.
        @($result.Output -match '^first:0:1:[35]$').Count | Should -Be 1
        $result.Output | Should -Contain 'again:1:0:0'
    }

    It 'takes four hosts with their own signers appending at once to one chain: no fork, no loss, each record signed by its host' {
        $writers = 1..4 | ForEach-Object { New-Login 'auditguard_writer' }
        $admin = Invoke-Central -Folder $work -Script @"
$owner
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName fleet
foreach (`$n in 1..4) {
    `$certificate = New-AuditSigningCertificate -Subject "CN=host`$n" -Path "./host`$n.pfx"
    [IO.File]::WriteAllBytes("`$PWD/host`$n.cer", `$certificate.RawData)
    (Add-AuditSigner -CertificatePath "./host`$n.cer" -Confirm:`$false).Fingerprint
}
"@
        $admin.ExitCode | Should -Be 0 -Because $admin.Error
        $fingerprints = $admin.Output
        $fingerprints.Count | Should -Be 4

        $credentials = ($writers | ForEach-Object -Begin { $i = 0 } -Process { $i++; "if (`$Worker -eq $i) { $(Get-CredentialScript $_.User $_.Password) }" }) -join "`n"
        $results = Invoke-ConcurrentPwsh -Count 4 -BarrierFolder (Join-Path $work 'barrier') -Setup @"
Set-Location '$work'
`$env:XDG_DATA_HOME = '$work/data-' + `$Worker
$credentials
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName fleet -SigningCertificatePath "./host`$Worker.pfx"
"@ -Script @"
foreach (`$i in 1..8) {
    (Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target "./host`$Worker.txt" -Parameters @{ Value = "`$i" } -Reason 'fleet').State
}
"@
        foreach ($result in $results) {
            $result.ExitCode | Should -Be 0 -Because $result.Error
            $result.Output | Should -Be (@('Closed') * 8)
        }

        $check = Invoke-Central -Folder $work -Script @"
$owner
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName fleet
`$verification = Test-AuditChain
'valid:' + `$verification.IsValid + ':' + @(`$verification.Verdicts | Where-Object Severity -eq 'Error').Count
`$records = Get-AuditRecord -Type operation.intent, operation.outcome
'records:' + `$records.Count
`$records | Group-Object Signer | ForEach-Object { 'signer:' + `$_.Name + ':' + `$_.Count }
Get-AuditRecord | ForEach-Object -Begin { `$previous = `$null } -Process { if (`$null -ne `$previous -and `$_.PreviousHash -ne `$previous) { 'broken:' + `$_.Sequence }; `$previous = `$_.Hash }
"@
        $check.ExitCode | Should -Be 0 -Because $check.Error
        $check.Output | Should -Contain 'valid:True:0'
        $check.Output | Should -Contain 'records:64'
        foreach ($fingerprint in $fingerprints) { $check.Output | Should -Contain "signer:$($fingerprint):16" }
        @($check.Output | Where-Object { $_ -like 'broken:*' }) | Should -BeNullOrEmpty
    }

    It 'refuses a direct UPDATE or DELETE from the writer and reader roles, and Test-AuditChain catches the same edit made by a superuser' {
        $created = Invoke-Central -Folder $work -Script @"
$owner
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName edits
'a' | Set-Content ./file.txt
1..3 | ForEach-Object { Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = "v`$_" } -Reason 'edit test' | Out-Null }
"@
        $created.ExitCode | Should -Be 0 -Because $created.Error

        foreach ($role in 'auditguard_writer', 'auditguard_reader') {
            $login = New-Login $role
            foreach ($sql in "UPDATE auditguard.records SET type = 'x' WHERE seq = 2", 'DELETE FROM auditguard.records WHERE seq = 6', 'TRUNCATE auditguard.records CASCADE') {
                $refused = Invoke-Psql -Sql $sql -Database $database -User $login.User -Password $login.Password
                $refused.ExitCode | Should -Not -Be 0
                $refused.Output | Should -Match 'permission denied'
            }
        }
        # The owner is refused by the triggers.
        $owned = Invoke-Psql -Sql 'DELETE FROM auditguard.records WHERE seq = 6' -Database $database
        $owned.ExitCode | Should -Not -Be 0
        $owned.Output | Should -Match 'append-only'
        (Invoke-Psql -Sql 'SELECT count(*) FROM auditguard.records' -Database $database).Output.Trim() | Should -Be '7'

        # A superuser switches the triggers off for the session and edits a body.
        $edit = Invoke-Psql -Database $database -Sql @"
SET session_replication_role = replica;
UPDATE auditguard.records SET body = convert_to(replace(convert_from(body, 'UTF8'), 'edit test', 'EDIT TEST'), 'UTF8') WHERE seq = 3;
DELETE FROM auditguard.records WHERE seq = 5;
"@
        $edit.ExitCode | Should -Be 0 -Because $edit.Output
        $check = Invoke-Central -Folder $work -Script @"
$owner
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName edits
`$result = Test-AuditChain
'valid:' + `$result.IsValid
`$result.Verdicts | Where-Object Severity -eq 'Error' | ForEach-Object { 'verdict:' + `$_.Kind + ':' + `$_.Sequence }
"@
        $check.ExitCode | Should -Be 0 -Because $check.Error
        $check.Output | Should -Contain 'valid:False'
        $check.Output | Should -Contain 'verdict:BodyHashMismatch:3'
        $check.Output | Should -Contain 'verdict:SequenceGap:5'
    }

    It 'ships a local store idempotently, reports it RolledBack against its central copy once restored from an older copy, and refuses the fork' {
        $writer = New-Login 'auditguard_writer'
        $login = Get-CredentialScript $writer.User $writer.Password
        $shipped = Invoke-Central -Folder $work -Script @"
$login
Connect-AuditStore ./local.db
'a' | Set-Content ./file.txt
Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = 'b' } -Reason 'before backup' | Out-Null
Backup-AuditStore -Destination ./older.db | Out-Null
Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = 'c' } -Reason 'after backup' | Out-Null
`$first = Sync-AuditStore -Destination '$connection' -Credential `$cred
`$second = Sync-AuditStore -Destination '$connection' -Credential `$cred
'shipped:' + `$first.Shipped + ':' + `$second.Shipped + ':' + `$first.DestinationHead
'witness:' + (Test-AuditChain -Witness '$connection' -WitnessCredential `$cred).IsValid
`$first.Destination
"@
        $shipped.ExitCode | Should -Be 0 -Because $shipped.Error
        $shipped.Output | Should -Contain 'shipped:5:0:4'
        $shipped.Output | Should -Contain 'witness:True'
        $shipped.Output[-1] | Should -Not -Match ([regex]::Escape($writer.Password))

        # The host's store is swapped for the older copy, and the host goes on working.
        $restored = Invoke-Central -Folder $work -Script @"
$login
Remove-Item ./local.db, ./local.db-wal, ./local.db-shm -ErrorAction Ignore
Copy-Item ./older.db ./local.db
Connect-AuditStore ./local.db
`$behind = Test-AuditChain -Witness '$connection' -WitnessCredential `$cred
'behind:' + `$behind.IsValid + ':' + ((`$behind.Verdicts | Where-Object Severity -eq 'Error').Kind -join ',')
try { Sync-AuditStore -Destination '$connection' -Credential `$cred | Out-Null } catch { 'sync:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = 'd' } -Reason 'after restore' | Out-Null
`$forked = Test-AuditChain -Witness '$connection' -WitnessCredential `$cred
'forked:' + `$forked.IsValid + ':' + ((`$forked.Verdicts | Where-Object Severity -eq 'Error').Kind -join ',')
try { Sync-AuditStore -Destination '$connection' -Credential `$cred | Out-Null } catch { 'sync:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
"@
        $restored.ExitCode | Should -Be 0 -Because $restored.Error
        $restored.Output | Should -Contain 'behind:False:Truncated'
        $restored.Output | Should -Contain 'sync:AuditStoreBehind'
        $restored.Output | Should -Contain 'forked:False:RolledBack'
        $restored.Output | Should -Contain 'sync:AuditStoreForked'
    }

    It 'keeps passwords out of errors, locations and records, and reports across every store of the database' {
        $writer = New-Login 'auditguard_writer'
        $wrong = Invoke-Central -Folder $work -Script @"
`$cred = [pscredential]::new('$($writer.User)', (ConvertTo-SecureString 'Wrong-Secret-7731' -AsPlainText -Force))
try { Connect-AuditStore -ConnectionString '$connection' -Credential `$cred } catch { 'error:' + `$_.FullyQualifiedErrorId.Split(',')[0]; 'message:' + `$_.Exception.Message }
try { Get-AuditStore } catch { 'after:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
Connect-AuditStore ./local.db
try { Sync-AuditStore -Destination 'Hostname=127.0.0.1;Password=Wrong-Secret-7731' | Out-Null } catch { 'mistyped:' + `$_.FullyQualifiedErrorId.Split(',')[0]; 'message:' + `$_.Exception.Message }
'files:' + ((Get-ChildItem -Name) -join ',')
"@
        $wrong.ExitCode | Should -Be 0 -Because $wrong.Error
        $wrong.Output | Should -Contain 'error:AuditStoreServerRefused'
        $wrong.Output | Should -Contain 'after:AuditStoreNotConnected'
        # Key=value text with a password is never taken for a file name.
        $wrong.Output | Should -Contain 'mistyped:AuditStoreConnectionStringInvalid'
        ($wrong.Output -join "`n") | Should -Not -Match 'Wrong-Secret-7731'

        $login = Get-CredentialScript $writer.User $writer.Password
        $report = Invoke-Central -Folder $work -Script @"
$login
'a' | Set-Content ./file.txt
foreach (`$name in 'web01', 'web02') {
    Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName `$name
    Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = `$name } -Reason "from `$name" | Out-Null
}
(Get-AuditStore).Path
Get-AuditStore -All | ForEach-Object { 'store:' + `$_.Name + ':' + `$_.RecordCount }
Get-Operation -AllStores | ForEach-Object { 'operation:' + `$_.Store.Split('=')[-1] + ':' + `$_.Reason }
@(Get-Operation).Count
Get-AuditRecord | ForEach-Object { `$_.Body } | Set-Content ./bodies.txt
Get-AuditStore -ConnectionString '$connection' -Credential `$cred | ForEach-Object { 'listed:' + `$_.Name }
try { Test-AuditChain -Witness '$connection' -WitnessCredential `$cred | Out-Null } catch { 'self:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
"@
        $report.ExitCode | Should -Be 0 -Because $report.Error
        $report.Output[0] | Should -BeLike "postgresql://$($writer.User)@*?store=web02"
        $report.Output | Should -Contain 'store:web01:3'
        $report.Output | Should -Contain 'store:web02:3'
        $report.Output | Should -Contain 'operation:web01:from web01'
        $report.Output | Should -Contain 'operation:web02:from web02'
        $report.Output | Should -Contain '1'
        $report.Output | Should -Contain 'listed:web01'
        # A store is never its own witness.
        $report.Output | Should -Contain 'self:AuditWitnessUnreadable'
        ($report.Output -join "`n") | Should -Not -Match $writer.Password
        Get-Content -Raw (Join-Path $work 'bodies.txt') | Should -Not -Match $writer.Password

        # A reader sees everything and can write nothing.
        $reader = New-Login 'auditguard_reader'
        $read = Invoke-Central -Folder $work -Script @"
$(Get-CredentialScript $reader.User $reader.Password)
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName web01 -WarningAction SilentlyContinue
'readonly:' + (Get-AuditStore).IsReadOnly
'valid:' + (Test-AuditChain -Quiet)
try { Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = 'x' } -Reason 'reader' | Out-Null } catch { 'write:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
"@
        $read.ExitCode | Should -Be 0 -Because $read.Error
        $read.Output | Should -Contain 'readonly:True'
        $read.Output | Should -Contain 'valid:True'
        $read.Output | Should -Contain 'write:AuditStoreReadOnly'
    }

    It 'enrols and revokes a host signer: the revoked host can no longer write' {
        $result = Invoke-Central -Folder $work -Script @"
$owner
Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName enrol
`$host1 = New-AuditSigningCertificate -Subject 'CN=host1' -Path ./host1.pfx
Add-AuditSigner -Certificate `$host1 -Confirm:`$false | Out-Null
try { Add-AuditSigner -Certificate `$host1 -Confirm:`$false } catch { 'again:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
(Get-AuditSigner -Active).Count
try { Get-AuditStore | ForEach-Object SignerFingerprint | Revoke-AuditSigner -Confirm:`$false } catch { 'own:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
Get-AuditSigner | Where-Object Subject -eq 'CN=host1' | Revoke-AuditSigner -Reason 'retired' -Confirm:`$false | ForEach-Object { 'revoked:' + `$_.IsActive }
try { Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName enrol -SigningCertificatePath ./host1.pfx } catch { 'connect:' + `$_.FullyQualifiedErrorId.Split(',')[0] }
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'again:SignerAlreadyActive'
        $result.Output | Should -Contain '2'
        $result.Output | Should -Contain 'own:SignerRevocationRefused'
        $result.Output | Should -Contain 'revoked:False'
        $result.Output | Should -Contain 'connect:SignerNotRegistered'
    }

    It 'exports one evidence set of every chain, which Test-EvidenceBundle and its verify.sh accept once the exporter is named' {
        $writer = New-Login 'auditguard_writer'
        $result = Invoke-Central -Folder $work -Script @"
$(Get-CredentialScript $writer.User $writer.Password)
'a' | Set-Content ./file.txt
foreach (`$name in 'db01', 'db02') {
    Connect-AuditStore -ConnectionString '$connection' -Credential `$cred -StoreName `$name
    Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target ./file.txt -Parameters @{ Value = `$name } -Reason "from `$name" | Out-Null
}
`$set = Export-EvidenceBundle -Path ./set.zip -AllStores
'operations:' + `$set.Operations
`$exporter = (Get-AuditStore).SignerFingerprint
'named:' + (Test-EvidenceBundle ./set.zip -Exporter `$exporter -Quiet)
'unnamed:' + (Test-EvidenceBundle ./set.zip -Quiet)
Expand-Archive ./set.zip ./set
'exporter:' + `$exporter
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'operations:2'
        $result.Output | Should -Contain 'named:True'
        $result.Output | Should -Contain 'unnamed:False'
        $exporter = ($result.Output | Where-Object { $_ -like 'exporter:*' }) -replace '^exporter:'
        $folder = Join-Path $work 'set'
        @(Get-ChildItem (Join-Path $folder 'chains') -Directory).Count | Should -Be 2

        $env:AUDITGUARD_EXPORTER = $exporter
        try { $checked = & sh (Join-Path $folder 'verify.sh') 2>&1; $code = $LASTEXITCODE }
        finally { $env:AUDITGUARD_EXPORTER = $null }
        $code | Should -Be 0 -Because ($checked -join "`n")
        $checked | Should -Contain 'The set verifies.'

        $unnamed = & sh (Join-Path $folder 'verify.sh') 2>&1
        $LASTEXITCODE | Should -Be 1
        ($unnamed -join "`n") | Should -Match 'does not verify'
    }
}
