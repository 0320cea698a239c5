# The connector contract kit, for connector authors as much as for AuditGuard: point it at a
# connector (built in, or a module it registers) and a factory of fresh targets, and it checks
# what every connector promises. Add a case for your own module: Name, Module (its folder), and
# NewCase, which makes a fresh target and returns the write to make (Target, Action, Parameters,
# and any more Invoke-GuardedWrite parameters in More), how to read the target's bytes (Read),
# and how to change it by hand (Drift).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:connectors = @(
        @{
            Name = 'FileSystem'; Module = $null; ObservesTarget = $true
            NewCase = {
                $file = Join-Path $TestDrive "fs-$([guid]::NewGuid()).conf"
                Set-Content -LiteralPath $file -Value "listen 80`nworkers 4`n" -NoNewline
                @{ Target = $file; Action = 'SetContent'; Parameters = @{ Value = "listen 80`nworkers 8`n" }; More = @{}
                   Read = { [IO.File]::ReadAllBytes($file) }.GetNewClosure(); Drift = { Add-Content -LiteralPath $file -Value '# by hand' }.GetNewClosure() }
            }
        }
        @{
            Name = 'JsonFile'; Module = $null; ObservesTarget = $true
            NewCase = {
                $file = Join-Path $TestDrive "json-$([guid]::NewGuid()).json"
                Set-Content -LiteralPath $file -Value '{"pool":{"size":4},"name":"api"}' -NoNewline
                @{ Target = "$file#/pool/size"; Action = 'Set'; Parameters = @{ Value = 16 }; More = @{}
                   Read = { [IO.File]::ReadAllBytes($file) }.GetNewClosure()
                   Drift = { Set-Content -LiteralPath $file -Value '{"pool":{"size":5},"name":"api"}' -NoNewline }.GetNewClosure() }
            }
        }
        @{
            Name = 'Script'; Module = $null; ObservesTarget = $false
            NewCase = {
                $flag = Join-Path $TestDrive "script-$([guid]::NewGuid()).flag"
                Set-Content -LiteralPath $flag -Value 'off' -NoNewline
                @{ Target = 'svc/cache'; Action = 'Invoke'; Parameters = @{ Path = $flag }
                   More = @{ ScriptBlock = { param($Path) Set-Content -LiteralPath $Path -Value 'on' -NoNewline }
                             RollbackScript = { param($Path) Set-Content -LiteralPath $Path -Value 'off' -NoNewline } }
                   Read = { [IO.File]::ReadAllBytes($flag) }.GetNewClosure(); Drift = { Set-Content -LiteralPath $flag -Value 'by hand' -NoNewline }.GetNewClosure() }
            }
        }
        @{
            Name = 'HostsFile'; Module = (Join-Path (Get-RepositoryRoot) 'examples/connectors/HostsFile'); ObservesTarget = $true
            NewCase = {
                $hosts = Join-Path $TestDrive "hosts-$([guid]::NewGuid())"
                Set-Content -LiteralPath $hosts -Value "127.0.0.1`tlocalhost`n10.0.0.9`tdb.internal db`n"
                @{ Target = "$hosts#db.internal"; Action = 'Set'; Parameters = @{ Address = '10.0.0.5' }; More = @{}
                   Read = { [IO.File]::ReadAllBytes($hosts) }.GetNewClosure(); Drift = { Add-Content -LiteralPath $hosts -Value "10.9.9.9`tdb.internal" }.GetNewClosure() }
            }
        }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function Invoke-Case([hashtable] $Case, [switch] $WhatIf) {
        $more = $Case.More
        Invoke-GuardedWrite -Connector $Name -Target $Case.Target -Action $Case.Action -Parameters $Case.Parameters -Reason 'contract kit' -Confirm:$false -WhatIf:$WhatIf @more
    }
}

Describe 'The connector contract: <Name>' -ForEach $connectors {
    BeforeAll {
        Connect-AuditStore -Path (Join-Path $TestDrive "contract-$Name-$([guid]::NewGuid()).db")
        if ($Module) { Register-GuardConnector -ModuleName $Module | Out-Null }
        $script:capability = Get-GuardConnector -Name $Name
    }

    It 'states a complete capability record' {
        $capability.Name | Should -Be $Name
        $capability.Description | Should -Not -BeNullOrEmpty
        $capability.TargetKind | Should -BeIn @('Path', 'PathAndFragment', 'Name')
        $capability.DryRunFidelity | Should -BeIn @('Exact', 'Synthetic', 'None')
        $capability.RollbackMethod | Should -BeIn @('SnapshotRestore', 'InverseOperation', 'PartialCompensation', 'None')
        $capability.SupportsRollback | Should -Be ($capability.RollbackMethod -ne 'None')
        $capability.Actions.Count | Should -BeGreaterThan 0
        foreach ($action in $capability.Actions) {
            $action.Name | Should -Not -BeNullOrEmpty
            $action.DefaultRisk | Should -BeIn @('Low', 'Medium', 'High', 'Critical')
        }
        $capability.Limitations.Count | Should -BeGreaterThan 0
        $capability.ContractVersion | Should -Be 1
    }

    It 'changes nothing in a dry run, and previews it' {
        $case = & $NewCase
        $before = & $case.Read

        $dry = Invoke-Case $case -WhatIf

        $dry.State | Should -Be 'DryRun'
        $dry.Preview.Fidelity | Should -Be $capability.DryRunFidelity
        [Convert]::ToBase64String((& $case.Read)) | Should -Be ([Convert]::ToBase64String($before))
    }

    It 'applies a change and verifies it where it can observe its target' {
        $case = & $NewCase
        $before = & $case.Read

        $applied = Invoke-Case $case

        $applied.State | Should -Be 'Closed'
        [Convert]::ToBase64String((& $case.Read)) | Should -Not -Be ([Convert]::ToBase64String($before))
        $verification = ((Get-AuditRecord -Sequence $applied.Records[1]).Body | ConvertFrom-Json).verification
        $verification | Should -Be ($ObservesTarget ? 'Passed' : 'NotVerifiable')
    }

    It 'restores the target byte for byte, within the window its contract records' {
        $case = & $NewCase
        $before = & $case.Read
        $applied = Invoke-Case $case
        $applied.RollbackContract.Supported | Should -BeTrue
        $applied.RollbackContract.Window | Should -Be $capability.RollbackWindow

        $undo = Undo-Operation -OperationId $applied.OperationId -Reason 'contract kit round trip' -Confirm:$false -WarningAction SilentlyContinue

        $undo.State | Should -Be 'Closed'
        [Convert]::ToBase64String((& $case.Read)) | Should -Be ([Convert]::ToBase64String($before))
        (Get-Operation -OperationId $applied.OperationId).State | Should -Be 'RolledBack'
    }

    It 'detects drift before it restores, where it can observe its target' {
        $case = & $NewCase
        $applied = Invoke-Case $case
        & $case.Drift
        $drifted = & $case.Read

        if ($ObservesTarget) {
            { Undo-Operation -OperationId $applied.OperationId -Reason 'contract kit drift' -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'OperationTargetDrifted,AuditGuard.Cmdlets.UndoOperationCommand'
            [Convert]::ToBase64String((& $case.Read)) | Should -Be ([Convert]::ToBase64String($drifted))
        }
        else {
            # A connector that cannot observe its target cannot see drift: its undo runs its inverse, and says its preview is synthetic.
            $undo = Undo-Operation -OperationId $applied.OperationId -Reason 'contract kit drift' -Confirm:$false -WarningAction SilentlyContinue
            $undo.Preview.Fidelity | Should -Be 'Synthetic'
            $undo.State | Should -Be 'Closed'
        }
    }

    AfterAll { (Test-AuditChain).IsValid | Should -BeTrue }
}
