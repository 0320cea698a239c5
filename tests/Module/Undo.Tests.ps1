# Undo as admins use it: Undo-Operation keeps each connector's recorded contract, refuses with a
# stable ErrorId where it cannot, and records the undo as an operation of its own.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function New-File([string] $Content) {
        $path = Join-Path $TestDrive "target-$([guid]::NewGuid()).txt"
        Set-Content -LiteralPath $path -Value $Content -NoNewline
        $path
    }

    function Set-Content-Guarded([string] $Path, [string] $Value) {
        Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $Path -Parameters @{ Value = $Value } -Reason 'CHG-31 change'
    }
}

Describe 'Undo-Operation' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "undo-$([guid]::NewGuid()).db") }

    It 'rolls a FileSystem change back as an operation of its own, both operations recorded in its transactions' {
        $file = New-File 'workers=4'
        $change = Set-Content-Guarded $file 'workers=8'

        $undo = $change | Undo-Operation -Reason 'INC-5 latency' -Confirm:$false

        Get-Content -Raw $file | Should -Be 'workers=4'
        $undo.State | Should -Be 'Closed'
        $undo.Action | Should -Be 'Rollback'
        $undo.UndoOf | Should -Be $change.OperationId
        $undo.ParentOperationId | Should -Be $change.OperationId
        $undo.UndoKind | Should -Be 'Rollback'
        $undo.Reason | Should -Be 'INC-5 latency'
        $undo.CorrelationId | Should -Be $change.CorrelationId
        $undone = Get-Operation -OperationId $change.OperationId
        $undone.State | Should -Be 'RolledBack'
        $undone.UndoneBy | Should -Be @($undo.OperationId)
        # RollingBack in the append of the undo's intent, RolledBack in the append of its outcome.
        $undone.Records[-2] | Should -Be ($undo.Records[0] + 1)
        $undone.Records[-1] | Should -Be ($undo.Records[1] + 1)
        $steps = $undone.Records[-2, -1] | ForEach-Object { Get-AuditRecord -Sequence $_ } | ForEach-Object { $_.Body | ConvertFrom-Json }
        $steps.transitions | Should -Be @('RollingBack', 'RolledBack')
        $steps.undoOperationId | Sort-Object -Unique | Should -Be $undo.OperationId.ToString()
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'rolls back a JsonFile change and a Script change with its rollback script' {
        $json = Join-Path $TestDrive 'app.json'
        Set-Content -LiteralPath $json -Value '{"pool":{"size":4}}'
        $set = Invoke-GuardedWrite -Connector JsonFile -Action Set -Target "$json#/pool/size" -Parameters @{ Value = 16 } -Reason 'CHG-32 bigger pool'
        (Get-Content -Raw $json | ConvertFrom-Json).pool.size | Should -Be 16
        $jsonUndo = Undo-Operation -OperationId $set.OperationId -Reason 'pool too big' -Confirm:$false
        $jsonUndo.State | Should -Be 'Closed'
        (Get-Content -Raw $json | ConvertFrom-Json).pool.size | Should -Be 4

        $flag = Join-Path $TestDrive 'service.flag'
        $started = Invoke-GuardedWrite -Connector Script -Target 'svc/cache' -Reason 'CHG-33 start the cache' -Parameters @{ Path = $flag } `
            -ScriptBlock { param($Path) Set-Content -LiteralPath $Path -Value 'on' } -RollbackScript { param($Path) Remove-Item -LiteralPath $Path }
        $flag | Should -Exist
        $scriptUndo = Undo-Operation -OperationId $started.OperationId -Reason 'cache not needed' -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        $scriptUndo.State | Should -Be 'Closed'
        $flag | Should -Not -Exist
        "$warned" | Should -Match 'recorded rollback script text'
        (Get-Operation -OperationId $started.OperationId).State | Should -Be 'RolledBack'
    }

    It 'previews exactly what -WhatIf would write back, recording a DryRun undo and changing nothing' {
        $file = New-File "alpha`nbeta"
        $change = Set-Content-Guarded $file "alpha`ngamma"

        $preview = Undo-Operation -OperationId $change.OperationId -Reason 'check first' -WhatIf

        $preview.State | Should -Be 'DryRun'
        $preview.Preview.Fidelity | Should -Be 'Exact'
        $preview.Preview.Diff | Should -Match '(?m)^-gamma'
        $preview.Preview.Diff | Should -Match '(?m)^\+beta'
        $preview.Preview.PredictedDigest | Should -Be $change.Before.Digest
        Get-Content -Raw $file | Should -Be "alpha`ngamma"
        (Get-Operation -OperationId $change.OperationId).State | Should -Be 'Closed'
    }

    It 'refuses a drifted target showing what differs, and -Force overrides that alone, on the record' {
        $file = New-File 'a'
        $change = Set-Content-Guarded $file 'b'
        Set-Content -LiteralPath $file -Value 'c, by hand' -NoNewline

        { Undo-Operation -OperationId $change.OperationId -Reason 'back' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationTargetDrifted,AuditGuard.Cmdlets.UndoOperationCommand' -ExpectedMessage '*it was*and is now*'
        Get-Content -Raw $file | Should -Be 'c, by hand'
        $refused = Get-Operation -State ValidationFailed
        $refused.ParentOperationId | Should -Be $change.OperationId
        $refused.Error.ErrorId | Should -Be 'OperationTargetDrifted'

        $forced = Undo-Operation -OperationId $change.OperationId -Reason 'back anyway' -Force -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        $forced.State | Should -Be 'Closed'
        $forced.ForcedOverDrift | Should -Match 'c, by hand|digest|bytes'
        "$warned" | Should -Match '-Force'
        (Get-AuditRecord -Sequence $forced.Records[0]).Body | ConvertFrom-Json | ForEach-Object { $_.undo.force } | Should -BeTrue
        Get-Content -Raw $file | Should -Be 'a'
    }

    It 'refuses what cannot be undone, each with its ErrorId, recording the attempt' -ForEach @(
        @{ Case = 'a dry run'; ErrorId = 'OperationNotUndoable'; Make = { param($f) Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $f -Parameters @{ Value = 'x' } -Reason 'dry' -WhatIf } }
        @{ Case = 'a script without a rollback script'; ErrorId = 'OperationRollbackNotSupported'; Make = { param($f) Invoke-GuardedWrite -Connector Script -Target 'svc/x' -Reason 'no way back' -ScriptBlock { 'ran' } } }
        @{ Case = 'a change with a secret, whose before-state was not kept'; ErrorId = 'OperationSnapshotUnavailable'; Make = { param($f) Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $f -Parameters @{ Value = 'token=abc123' } -SecretParameter Value -Reason 'secret' } }
    ) {
        $operation = & $Make (New-File 'start')
        $before = (Get-AuditStore).RecordCount
        $failure = { Undo-Operation -OperationId $operation.OperationId -Reason 'try' -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru -ErrorId "$ErrorId,AuditGuard.Cmdlets.UndoOperationCommand"
        $failure.Exception.Message | Should -Match ([regex]::Escape($operation.OperationId.ToString()) + '|connector')
        (Get-AuditStore).RecordCount | Should -Be ($before + 1)
        (Get-Operation -OperationId $operation.OperationId).State | Should -Be $operation.State
    }

    It 'refuses an operation already rolled back, and undoing the undo puts the change back' {
        $file = New-File 'one'
        $change = Set-Content-Guarded $file 'two'
        $undo = Undo-Operation -OperationId $change.OperationId -Reason 'back' -Confirm:$false

        { Undo-Operation -OperationId $change.OperationId -Reason 'again' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationAlreadyUndone,AuditGuard.Cmdlets.UndoOperationCommand' -ExpectedMessage "*$($undo.OperationId)*"
        $undo.RollbackContract.Method | Should -Be 'SnapshotRestore'
        $redo = Undo-Operation -OperationId $undo.OperationId -Reason 'it was fine after all' -Confirm:$false

        $redo.State | Should -Be 'Closed'
        $redo.UndoOf | Should -Be $undo.OperationId
        Get-Content -Raw $file | Should -Be 'two'
        (Get-Operation -OperationId $undo.OperationId).State | Should -Be 'RolledBack'
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'refuses at planning a target larger than the store keeps whole (SnapshotMaxBytes)' {
        Set-AuditStoreSetting -Name SnapshotMaxBytes -Value 32 -Confirm:$false
        $file = New-File ('x' * 100)
        $failure = { Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $file -Parameters @{ Value = 'y' } -Reason 'too big' -ErrorAction Stop } |
            Should -Throw -PassThru -ErrorId 'OperationSnapshotTooLarge,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $failure.Exception.Message | Should -Match 'SnapshotMaxBytes'
        Get-Content -Raw $file | Should -Be ('x' * 100)
        (Get-AuditStore).Settings.SnapshotMaxBytes | Should -Be 32
    }

    It 'waits for approval where the policy asks for it, and runs from its recorded intent once approved' {
        # One account here asks and approves, so the asker signs the undo with a certificate the board lists.
        $alice = New-TestCertificate -Subject 'CN=Alice Operator, O=AuditGuard tests'
        $erin = New-TestCertificate -Subject 'CN=Erin Approver, O=AuditGuard tests'
        $policy = Join-Path $TestDrive "policy-$([guid]::NewGuid()).psd1"
        Set-Content -LiteralPath $policy -Value @"
@{
    Version        = 1
    ApproverGroups = @{ Board = @('Thumbprint:$($erin.Thumbprint)', 'Thumbprint:$($alice.Thumbprint)') }
    Rules          = @( @{ Id = 'undo-needs-board'; Action = 'Rollback'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Board' } )
}
"@
        $file = New-File 'stable'
        $change = Set-Content-Guarded $file 'experimental'
        Set-GuardPolicy -Path $policy

        $pending = Undo-Operation -OperationId $change.OperationId -Reason 'INC-9 back to stable' -Certificate $alice -Confirm:$false -ErrorVariable stopped -ErrorAction SilentlyContinue
        $pending.State | Should -Be 'PendingApproval'
        $stopped[0].FullyQualifiedErrorId | Should -Be 'OperationApprovalRequired,AuditGuard.Cmdlets.UndoOperationCommand'
        (Get-Operation -OperationId $change.OperationId).State | Should -Be 'Closed'
        Get-Content -Raw $file | Should -Be 'experimental'

        { Approve-Operation -OperationId $pending.OperationId -Reason 'my own' -Certificate $alice -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationSelfApproval,AuditGuard.Cmdlets.ApproveOperationCommand'
        Approve-Operation -OperationId $pending.OperationId -Reason 'yes, roll back' -Certificate $erin | Out-Null
        $done = Resume-Operation -OperationId $pending.OperationId

        $done.State | Should -Be 'Closed'
        Get-Content -Raw $file | Should -Be 'stable'
        (Get-Operation -OperationId $change.OperationId).State | Should -Be 'RolledBack'
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}

Describe 'An undo whose process is killed' {
    It 'leaves both operations in states the records explain, and Repair-Operation settles the undo like any orphan' {
        $store = Join-Path $TestDrive 'killed-undo.db'
        $marker = Join-Path $TestDrive 'rollback-started'
        Connect-AuditStore -Path $store
        $change = Invoke-GuardedWrite -Connector Script -Target 'svc/queue' -Reason 'CHG-40 start the queue' -Parameters @{ Marker = $marker } `
            -ScriptBlock { param($Marker) 'started' } -RollbackScript { param($Marker) Set-Content -LiteralPath $Marker -Value 'x'; Start-Sleep -Seconds 120 }
        Disconnect-AuditStore

        $script = "Import-Module '$(Get-AuditGuardModulePath)'; Connect-AuditStore -Path '$store'; " +
            "Undo-Operation -OperationId '$($change.OperationId)' -Reason 'INC-12 stop the queue' -Confirm:`$false -WarningAction SilentlyContinue"
        $child = Start-Process -FilePath (Get-PwshPath) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and -not (Test-Path $marker)) { Start-Sleep -Milliseconds 100 }
        $marker | Should -Exist
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()

        Connect-AuditStore -Path $store
        (Get-Operation -OperationId $change.OperationId).State | Should -Be 'RollingBack'
        $orphan = Get-Operation -Orphaned
        $orphan.UndoOf | Should -Be $change.OperationId
        $orphan.State | Should -Be 'Executing'

        $repaired = $orphan | Repair-Operation

        $repaired.State | Should -Be 'Indeterminate'
        # A script's effect cannot be observed, so what the rollback did is not known, and never claimed.
        $repaired.Finding | Should -Be 'Unknown'
        $undone = Get-Operation -OperationId $change.OperationId
        $undone.State | Should -Be 'RollbackFailed'
        $undone.UndoneBy | Should -Be @($orphan.OperationId)
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}
