#Requires -Version 7.4
<#
.SYNOPSIS
    A walk through AuditGuard on a throwaway store; build.ps1 -Task Demo runs it in a fresh session.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-Step([string] $text) { Write-Host "`n== $text" -ForegroundColor Cyan }

# Never the user's default store: a folder of its own, removed at the end.
$work = Join-Path ([IO.Path]::GetTempPath()) "auditguard-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $work | Out-Null
try {
    Import-Module (Resolve-Path $ModulePath).Path
    Write-Step "Imported AuditGuard $((Get-Module AuditGuard).Version): $((Get-Command -Module AuditGuard).Name -join ', ')"

    $storePath = Join-Path $work 'audit.db'
    Write-Step "Connect-AuditStore -Path $storePath -PassThru   (creates the store)"
    Connect-AuditStore -Path $storePath -PassThru | Format-List | Out-Host

    Write-Step 'Get-AuditStore   (the connected store)'
    Get-AuditStore | Format-List | Out-Host

    if (-not $IsWindows) {
        Write-Step 'The store, its log and its keys are readable by their owner only'
        Get-ChildItem $work | Format-Table Name, UnixMode, Length | Out-Host
    }

    Write-Step 'New-AuditCheckpoint (x3) and Set-AuditStoreSetting: every change is a signed, chained record'
    1..3 | ForEach-Object { $null = New-AuditCheckpoint }
    Set-AuditStoreSetting -Name CheckpointInterval -Value 100
    Get-AuditRecord | Format-Table | Out-Host

    Write-Step 'Export-AuditRecord: one record as files anyone can check without AuditGuard'
    $evidence = Join-Path $work 'evidence'
    Export-AuditRecord -Sequence 2 -Path $evidence | Format-Table Name, Length | Out-Host
    if (Get-Command openssl -ErrorAction Ignore) {
        Write-Host "sha256sum 2.json : $((Get-FileHash (Join-Path $evidence '2.json') -Algorithm SHA256).Hash.ToLowerInvariant())"
        Write-Host "record 2's Hash  : $((Get-AuditRecord -Sequence 2).Hash)"
        Write-Host "openssl cms -verify -binary -inform DER -in 2.p7s -content 2.json -certfile 2.signer.pem -noverify"
        Push-Location $evidence
        openssl cms -verify -binary -inform DER -in 2.p7s -content 2.json -certfile 2.signer.pem -noverify -out /dev/null
        Pop-Location
    }

    Write-Step 'Get-GuardConnector: what each connector can preview and undo'
    Get-GuardConnector | Format-Table | Out-Host

    $motd = Join-Path $work 'motd.txt'
    Set-Content -Path $motd -Value "Welcome`nMaintenance: none planned" -NoNewline
    Write-Step 'Invoke-GuardedWrite -WhatIf: the same path as a real run, without the change'
    $preview = Invoke-GuardedWrite -Connector FileSystem -Target $motd -Action SetContent -Reason 'CHG-1042 announce maintenance' `
        -Parameters @{ Value = "Welcome`nMaintenance: Saturday 02:00-04:00 UTC" } -CorrelationId 'CHG-1042' -WhatIf
    $preview | Format-List OperationId, State, Preview, Before, RollbackContract, PolicyDecision | Out-Host
    Write-Host $preview.Preview.Diff
    Write-Host "motd.txt still reads: $((Get-Content -Raw $motd) -replace "`n", ' | ')"

    Write-Step 'Invoke-GuardedWrite: the intent is signed and durable before the file changes'
    Invoke-GuardedWrite -Connector FileSystem -Target $motd -Action SetContent -Reason 'CHG-1042 announce maintenance' `
        -Parameters @{ Value = "Welcome`nMaintenance: Saturday 02:00-04:00 UTC" } -CorrelationId 'CHG-1042' | Format-List | Out-Host
    Write-Host "motd.txt now reads: $((Get-Content -Raw $motd) -replace "`n", ' | ')"

    Write-Step 'A script block that throws ends Failed, with its error recorded'
    Invoke-GuardedWrite -Connector Script -Target 'service/web' -Reason 'CHG-1042 restart' -CorrelationId 'CHG-1042' `
        -ScriptBlock { throw 'the service did not come back' } -ErrorAction SilentlyContinue | Format-List OperationId, State, Error | Out-Host

    Write-Step 'Get-Operation -CorrelationId CHG-1042: the change ticket''s whole history'
    Get-Operation -CorrelationId 'CHG-1042' | Format-Table | Out-Host

    Write-Step 'Set-GuardPolicy: High and Critical writes need two signed approvals from the change board'
    $password = ConvertTo-SecureString -String 'lab-only' -AsPlainText -Force
    $alice = New-AuditSigningCertificate -Subject 'CN=Alice Operator, O=Demo' -Path (Join-Path $work 'alice.pfx') -Password $password
    $erin = New-AuditSigningCertificate -Subject 'CN=Erin Approver, O=Demo' -Path (Join-Path $work 'erin.pfx') -Password $password
    $frank = New-AuditSigningCertificate -Subject 'CN=Frank Approver, O=Demo' -Path (Join-Path $work 'frank.pfx') -Password $password
    $policy = Join-Path $work 'policy.psd1'
    Set-Content -Path $policy -Value @"
@{
    Version        = 1
    DefaultEffect  = 'Allow'
    ApproverGroups = @{ ChangeBoard = @('Thumbprint:$($alice.Thumbprint)', 'Thumbprint:$($erin.Thumbprint)', 'Thumbprint:$($frank.Thumbprint)') }
    Rules          = @(
        @{ Id = 'high-risk'; Risk = 'High', 'Critical'; Effect = 'RequireApproval'; Approvals = 2; ApproverGroup = 'ChangeBoard'
           ApprovalExpiry = '1.00:00:00'; RequireSignedApproval = `$true }
    )
}
"@
    Set-GuardPolicy -Path $policy -Reason 'CAB-2026-114 change policy' -PassThru | Format-List Digest, SetBy, Reason, Rules | Out-Host
    Test-GuardPolicy -Connector FileSystem -Action SetContent -Target $motd -Risk High | Format-List Effect, MatchedRules, Explanation | Out-Host

    Write-Step 'A High-risk write, signed by Alice, stops PendingApproval: no prompt, no change'
    $pending = Invoke-GuardedWrite -Connector FileSystem -Target $motd -Action SetContent -Reason 'CHG-1043 move the maintenance window' -Risk High `
        -Parameters @{ Value = "Welcome`nMaintenance: Sunday 01:00-03:00 UTC" } -Certificate $alice -ErrorAction SilentlyContinue -ErrorVariable waiting
    $pending | Format-List OperationId, State, ActorSubject, ApprovalStatus | Out-Host
    Write-Host "$($waiting[0].FullyQualifiedErrorId)"

    Write-Step 'Alice cannot approve her own request'
    try { Approve-Operation -OperationId $pending.OperationId -Reason 'mine' -Certificate $alice -ErrorAction Stop }
    catch { Write-Host "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }

    Write-Step 'Erin approves at the store; Frank signs the exported request offline, and it is imported'
    Approve-Operation -OperationId $pending.OperationId -Reason 'diff reviewed' -Certificate $erin | Format-List State, ApprovalStatus | Out-Host
    $request = Join-Path $work 'request.json'
    $approval = Join-Path $work 'approval-frank.json'
    Export-OperationRequest -OperationId $pending.OperationId -Path $request | Out-Null
    Approve-Operation -RequestPath $request -OutFile $approval -Reason 'read the request on my laptop' -CertificatePath (Join-Path $work 'frank.pfx') -CertificatePassword $password | Out-Null
    Import-OperationApproval -Path $approval | Format-List State, ApprovalStatus | Out-Host

    Write-Step 'Resume-Operation: the approved change runs from its recorded intent'
    $resumed = Resume-Operation -OperationId $pending.OperationId
    $resumed | Format-List OperationId, State, ResumedBy | Out-Host
    $resumed.Approvals | Format-Table Decision, Assurance, Approver, Offline, Valid | Out-Host
    Write-Host "motd.txt now reads: $((Get-Content -Raw $motd) -replace "`n", ' | ')"

    Write-Step 'Register-GuardConnector: the sample HostsFile connector (a PowerShell module) joins the capability matrix'
    Register-GuardConnector -ModuleName (Join-Path (Get-Module AuditGuard).ModuleBase 'examples/connectors/HostsFile') | Out-Null
    Get-GuardConnector | Format-Table | Out-Host
    $hosts = Join-Path $work 'hosts'
    Set-Content -Path $hosts -Value "127.0.0.1`tlocalhost`n10.0.0.9`tdb.internal"
    $moved = Invoke-GuardedWrite -Connector HostsFile -Action Set -Target "$hosts#db.internal" -Parameters @{ Address = '10.0.0.5' } `
        -Reason 'CHG-1043 move the database' -CorrelationId 'CHG-1043'
    $moved | Format-List OperationId, State, Before, After, RollbackContract | Out-Host

    Write-Step 'Undo-Operation -WhatIf: exactly what the undo would write back'
    Undo-Operation -OperationId $moved.OperationId -Reason 'INC-88 database unreachable' -WhatIf | Out-Null

    Write-Step 'Undo-Operation: the undo is an operation of its own; the original ends RolledBack'
    $undo = Undo-Operation -OperationId $moved.OperationId -Reason 'INC-88 database unreachable' -Confirm:$false
    $undo | Format-List OperationId, State, Action, UndoOf, UndoKind | Out-Host
    Get-Operation -CorrelationId 'CHG-1043' | Format-Table | Out-Host
    Write-Host "hosts now reads: $((Get-Content -Raw $hosts) -replace "`n", ' | ')"

    Write-Step 'An undo refused: someone edited the file by hand since the change, and undo will not overwrite that'
    $again = Invoke-GuardedWrite -Connector HostsFile -Action Set -Target "$hosts#db.internal" -Parameters @{ Address = '10.0.0.7' } -Reason 'CHG-1044 move it again'
    Add-Content -Path $hosts -Value "10.1.1.1`tcache.internal"
    try { Undo-Operation -OperationId $again.OperationId -Reason 'back out CHG-1044' -Confirm:$false | Out-Null } catch { Write-Host "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    Write-Host 'Undo-Operation -Force would overwrite the hand edit, and its record would say so.'

    Write-Step 'Export-EvidenceBundle: the evidence an auditor takes away, checked without AuditGuard'
    # Kept after the demo (the store is not): the report is there to open.
    $evidence = Join-Path ([IO.Path]::GetTempPath()) "auditguard-demo-evidence-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $evidence | Out-Null
    $bundle = Export-EvidenceBundle -Path (Join-Path $evidence 'bundle.zip') -Profile Soc2
    $bundle | Format-List Path, Operations, Records, Files, Signer | Out-Host
    Test-EvidenceBundle -Path $bundle.Path | Format-List IsValid, RecordsChecked, TrustLevel | Out-Host
    Expand-Archive -Path $bundle.Path -DestinationPath (Join-Path $evidence 'bundle')
    if (Get-Command sh -ErrorAction Ignore) {
        sh (Join-Path $evidence 'bundle/verify.sh') | Out-Host
    }
    Write-Host "The report: $(Join-Path $evidence 'bundle/report.html')"

    Write-Step 'Export-AuditCheckpoint: a witness to keep where the store''s writer cannot rewrite it'
    $witness = Join-Path $work 'witness.json'
    New-AuditCheckpoint | Out-Null
    Export-AuditCheckpoint -Path $witness | Format-Table Name, Length | Out-Host

    Write-Step 'Test-AuditChain -Witness: every hash, link, signature and derived column checked'
    Test-AuditChain -Witness $witness | Format-List | Out-Host

    if ($env:AUDITGUARD_DEMO_POSTGRES) {
        # A throwaway PostgreSQL server build.ps1 started: this host's keys for central stores go in the demo's folder, never the user's.
        $env:XDG_DATA_HOME = Join-Path $work 'data'
        $central = $env:AUDITGUARD_DEMO_POSTGRES
        $cred = [pscredential]::new($env:AUDITGUARD_DEMO_POSTGRES_USER, (ConvertTo-SecureString $env:AUDITGUARD_DEMO_POSTGRES_PASSWORD -AsPlainText -Force))

        Write-Step 'Initialize-AuditDatabase: the central schema, append-only even for its owner, and the writer and reader roles'
        Initialize-AuditDatabase -ConnectionString $central -Credential $cred -Confirm:$false | Format-List Location, SchemaVersion, WriterRole, ReaderRole, Changes | Out-Host

        Write-Step 'Sync-AuditStore: this host ships its store to PostgreSQL, each record checked on arrival; a second run ships nothing'
        Sync-AuditStore -Destination $central -Credential $cred | Format-List Destination, Shipped, DestinationHead | Out-Host
        Sync-AuditStore -Destination $central -Credential $cred | Format-List Shipped | Out-Host

        Write-Step 'Test-AuditChain -Witness <connection string>: the central copy is a witness for this host''s store'
        Test-AuditChain -Witness $central -WitnessCredential $cred | Format-List IsValid, HeadSequence, Verdicts | Out-Host

        Write-Step 'Connect-AuditStore -ConnectionString: a store hosts write to directly, in the same database'
        Connect-AuditStore -ConnectionString $central -Credential $cred -StoreName web01 -PassThru | Format-List Path, Signer | Out-Host
        Set-Content -Path (Join-Path $work 'banner.txt') -Value 'v1'
        Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target (Join-Path $work 'banner.txt') -Parameters @{ Value = 'v2' } -Reason 'CHG-2001 banner' | Format-Table | Out-Host

        Write-Step 'Get-AuditStore -All and Get-Operation -AllStores: one place to report on every host'
        Get-AuditStore -All | Format-Table | Out-Host
        Get-Operation -AllStores | Group-Object { [uri]::UnescapeDataString($_.Store.Split('?store=')[-1]) } | Format-Table @{ n = 'Operations'; e = 'Count' }, @{ n = 'Store'; e = 'Name' } | Out-Host
        Connect-AuditStore -Path $storePath
    }

    if (Get-Command sqlite3 -ErrorAction Ignore) {
        Write-Step 'Someone with file access edits a record and deletes the tail, bypassing the append-only triggers'
        Disconnect-AuditStore
        sqlite3 $storePath "DROP TRIGGER records_append_only_update; DROP TRIGGER records_append_only_delete; UPDATE records SET body = CAST(replace(CAST(body AS TEXT), '""headSeq"":1', '""headSeq"":9') AS BLOB) WHERE seq = 2; DELETE FROM records WHERE seq >= 4;"
        Connect-AuditStore -Path $storePath
        Test-AuditChain -Witness $witness | Select-Object -ExpandProperty Verdicts | Format-Table -Wrap | Out-Host
    }

    Write-Step 'A file that is not a store is refused with a stable ErrorId, and left untouched'
    $notAStore = Join-Path $work 'notes.txt'
    Set-Content $notAStore 'meeting notes, not a database'
    try { Connect-AuditStore -Path $notAStore } catch { Write-Host "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    Write-Host "notes.txt still reads: $(Get-Content $notAStore)"
}
finally {
    Remove-Module AuditGuard -ErrorAction Ignore
    Remove-Item -Recurse -Force $work
    Write-Host "`nRemoved the throwaway store in $work"
}
