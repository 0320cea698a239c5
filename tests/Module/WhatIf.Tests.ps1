# -WhatIf previews a write through the same path as a real run and stops before the commit
# step: whatever the connector, the change itself never runs.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force
    Connect-AuditStore -Path (Join-Path $TestDrive 'whatif.db')

    function Get-FileState([string] $Path) {
        # Everything a write could change about a file: its bytes and its last write time.
        $item = Get-Item -LiteralPath $Path
        "$((Get-FileHash -LiteralPath $Path).Hash) $($item.Length) $($item.LastWriteTimeUtc.Ticks)"
    }
}

Describe '-WhatIf with a script block' {
    It 'never runs the script block or its rollback script, with the <Connector> connector' -ForEach @(
        @{ Connector = 'Script'; Action = $null }
        @{ Connector = 'FileSystem'; Action = 'Invoke' }
    ) {
        $ran = Join-Path $TestDrive "ran-$Connector.txt"
        $undone = Join-Path $TestDrive "undone-$Connector.txt"
        $target = $Connector -eq 'Script' ? 'app/service' : (Join-Path $TestDrive "target-$Connector.txt")
        $call = @{
            Connector      = $Connector
            Target         = $target
            Reason         = 'preview only'
            ScriptBlock    = [scriptblock]::Create("param(`$Path) Set-Content -Path `$Path -Value 'ran'; 'output'")
            Parameters     = @{ Path = $ran }
            WhatIf         = $true
        }
        if ($Action) { $call.Action = $Action }
        if ($Connector -eq 'Script') { $call.RollbackScript = [scriptblock]::Create("Set-Content -Path '$undone' -Value 'undone'") }
        $before = (Get-AuditStore).RecordCount

        $operation = Invoke-GuardedWrite @call

        $operation.State | Should -Be 'DryRun'
        $operation.Preview.Fidelity | Should -Be 'Synthetic'
        $operation.Output | Should -BeNullOrEmpty
        $ran | Should -Not -Exist
        $undone | Should -Not -Exist
        ((Get-AuditStore).RecordCount - $before) | Should -Be 1
    }

    It 'never runs the script block under $WhatIfPreference set by a calling script' {
        $ran = Join-Path $TestDrive 'ran-by-preference.txt'
        $store = (Get-AuditStore).Path
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$store'
`$WhatIfPreference = `$true
(Invoke-GuardedWrite -Connector Script -Target 'app/service' -Reason 'preference' -ScriptBlock { Set-Content -Path '$ran' -Value 'ran' }).State
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[-1] | Should -Be 'DryRun'
        $ran | Should -Not -Exist
    }
}

Describe '-WhatIf with a JSON file' {
    BeforeEach {
        $script:file = Join-Path $TestDrive "settings-$([guid]::NewGuid()).json"
        Set-Content -Path $file -Value '{"logging":{"level":"Info","targets":["console"]},"name":"app"}' -NoNewline
        (Get-Item $file).LastWriteTimeUtc = [datetime]::new(2024, 5, 6, 7, 8, 9, [DateTimeKind]::Utc)
        $script:state = Get-FileState $file
    }

    It 'never changes the file on <Action> <Pointer>, and previews exactly what would change' -ForEach @(
        @{ Action = 'Set'; Pointer = '/logging/level'; Parameters = @{ Value = 'Debug' }; Shows = 'Debug' }
        @{ Action = 'Set'; Pointer = '/logging/retention'; Parameters = @{ Value = 30 }; Shows = 'retention' }
        @{ Action = 'Remove'; Pointer = '/name'; Parameters = @{}; Shows = 'name' }
    ) {
        $before = (Get-AuditStore).RecordCount
        $operation = Invoke-GuardedWrite -Connector JsonFile -Target "$file#$Pointer" -Action $Action -Parameters $Parameters -Reason 'preview only' -WhatIf

        $operation.State | Should -Be 'DryRun'
        $operation.Preview.Fidelity | Should -Be 'Exact'
        $operation.Preview.Diff | Should -Match $Shows
        Get-FileState $file | Should -Be $state
        Get-ChildItem -Path (Split-Path $file) -Filter "$(Split-Path -Leaf $file)*" | Should -HaveCount 1
        ((Get-AuditStore).RecordCount - $before) | Should -Be 1

        # The same call without -WhatIf does change it: the preview above stood for a real change.
        (Invoke-GuardedWrite -Connector JsonFile -Target "$file#$Pointer" -Action $Action -Parameters $Parameters -Reason 'for real' -Confirm:$false).State |
            Should -Be 'Closed'
        Get-FileState $file | Should -Not -Be $state
    }
}
