BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function New-Store([string] $Name) {
        $path = Join-Path $TestDrive $Name
        Connect-AuditStore -Path $path
        $path
    }
}

Describe 'Get-GuardConnector' {
    It 'prints the capability matrix of the built-in connectors' {
        $connectors = Get-GuardConnector
        $connectors.Name | Should -Be @('FileSystem', 'JsonFile', 'Script')
        $fs = Get-GuardConnector -Name FileSystem
        $fs.PSObject.TypeNames[0] | Should -Be 'AuditGuard.Cmdlets.GuardConnectorInfo'
        $fs.DryRunFidelity | Should -Be 'Exact'
        $fs.RollbackMethod | Should -Be 'SnapshotRestore'
        $fs.Actions.Name | Should -Contain 'SetContent'
        ($fs.Actions | Where-Object Name -eq 'Remove').DefaultRisk | Should -Be 'High'
        $fs.Limitations | Should -Not -BeNullOrEmpty
        (Get-GuardConnector -Name Script).DryRunFidelity | Should -Be 'Synthetic'
        (Get-GuardConnector -Name JsonFile).RollbackMethod | Should -Be 'InverseOperation'
        $fs.TargetKind | Should -Be 'Path'
        (Get-GuardConnector -Name JsonFile).TargetKind | Should -Be 'PathAndFragment'
        (Get-GuardConnector -Name Script).TargetKind | Should -Be 'Name'
        $connectors.ContractVersion | Sort-Object -Unique | Should -Be 1
    }

    It 'reports an unknown connector name' {
        Get-GuardConnector -Name NoSuchThing -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $missing[0].FullyQualifiedErrorId | Should -Be 'ConnectorNotFound,AuditGuard.Cmdlets.GetGuardConnectorCommand'
    }
}

Describe 'Invoke-GuardedWrite with the FileSystem connector' {
    BeforeAll {
        $script:store = New-Store 'filesystem.db'
    }

    It 'changes a file in two signed records and ends Closed' {
        $file = Join-Path $TestDrive 'motd.txt'
        Set-Content -Path $file -Value 'old message' -NoNewline
        $before = (Get-AuditStore).RecordCount
        $operation = Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = 'new message' } -Reason 'CHG-100 update the banner'

        $operation.PSObject.TypeNames[0] | Should -Be 'AuditGuard.Cmdlets.GuardedOperation'
        $operation.State | Should -Be 'Closed'
        $operation.Connector | Should -Be 'FileSystem'
        $operation.Action | Should -Be 'SetContent'
        $operation.Target | Should -Be $file
        $operation.Reason | Should -Be 'CHG-100 update the banner'
        $operation.Risk | Should -Be 'Medium'
        $operation.PolicyDecision.Effect | Should -Be 'Allow'
        $operation.Preview.Fidelity | Should -Be 'Exact'
        $operation.Before.Digest | Should -Not -Be $operation.After.Digest
        $operation.RollbackContract.Method | Should -Be 'SnapshotRestore'
        $operation.Actor | Should -Match ([regex]::Escape([Environment]::MachineName))
        $operation.Records.Count | Should -Be 2
        ((Get-AuditStore).RecordCount - $before) | Should -Be 2
        Get-Content -Raw $file | Should -Be 'new message'
        $intent = Get-AuditRecord -Sequence $operation.Records[0]
        ($intent.Body | ConvertFrom-Json).transitions | Should -Be @('Planned', 'Validated', 'Executing')
        $operation.IntentHash | Should -Match '^[0-9a-f]{64}$'
        ($intent.Body | ConvertFrom-Json).intentHash | Should -Be $operation.IntentHash
        ((Get-AuditRecord -Sequence $operation.Records[1]).Body | ConvertFrom-Json).transitions | Should -Be @('Executed', 'Verified', 'Closed')
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'previews under -WhatIf through the same path, records DryRun and changes nothing' {
        $file = Join-Path $TestDrive 'preview.txt'
        Set-Content -Path $file -Value 'unchanged' -NoNewline
        $dry = Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = 'changed' } -Reason 'preview' -WhatIf
        $dry.State | Should -Be 'DryRun'
        $dry.Preview.Fidelity | Should -Be 'Exact'
        $dry.Preview.Diff | Should -Match 'changed'
        $dry.Records.Count | Should -Be 1
        Get-Content -Raw $file | Should -Be 'unchanged'

        $real = Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = 'changed' } -Reason 'preview' -Confirm:$false
        $real.State | Should -Be 'Closed'
        $real.Preview.PredictedDigest | Should -Be $dry.Preview.PredictedDigest
    }

    It 'records the same intent for a dry run and a real run, but for id, sequence, link, time and the last transition' {
        $file = Join-Path $TestDrive 'equivalence.txt'
        Set-Content -Path $file -Value 'v1' -NoNewline
        $arguments = @{ Connector = 'FileSystem'; Target = $file; Action = 'SetContent'; Parameters = @{ Value = 'v2' }; Reason = 'equivalence'; CorrelationId = 'CHG-7' }
        $dry = Invoke-GuardedWrite @arguments -WhatIf
        $real = Invoke-GuardedWrite @arguments
        $dryBody = (Get-AuditRecord -Sequence $dry.Records[0]).Body | ConvertFrom-Json -AsHashtable
        $realBody = (Get-AuditRecord -Sequence $real.Records[0]).Body | ConvertFrom-Json -AsHashtable
        $dryBody.transitions[-1] | Should -Be 'DryRun'
        $realBody.transitions[-1] | Should -Be 'Executing'
        foreach ($body in $dryBody, $realBody) {
            foreach ($name in 'op', 'seq', 'prev', 'time') { $body.Remove($name) }
            $body.transitions = $body.transitions[0..1]
        }
        ($dryBody | ConvertTo-Json -Depth 20 -Compress) | Should -Be ($realBody | ConvertTo-Json -Depth 20 -Compress)
    }

    It 'honours $WhatIfPreference set by a calling script' {
        $file = Join-Path $TestDrive 'preference.txt'
        Set-Content -Path $file -Value 'kept' -NoNewline
        $runbook = Join-Path $TestDrive 'runbook.ps1'
        Set-Content -Path $runbook -Value @"
`$WhatIfPreference = `$true
(Invoke-GuardedWrite -Connector FileSystem -Target '$file' -Action SetContent -Parameters @{ Value = 'gone' } -Reason 'runbook').State
"@
        $result = Invoke-FreshPwsh -ImportModule -Script "Connect-AuditStore -Path '$store'; & '$runbook'"
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'DryRun'
        Get-Content -Raw $file | Should -Be 'kept'
    }

    It 'takes the effective risk as the higher of -Risk and the action''s default' {
        $file = Join-Path $TestDrive 'risky.txt'
        Set-Content -Path $file -Value 'x'
        (Invoke-GuardedWrite -Connector FileSystem -Target $file -Action Remove -Reason 'cleanup' -Confirm:$false -Risk Low).Risk | Should -Be 'High'
        $file | Should -Not -Exist
        $other = Join-Path $TestDrive 'critical.txt'
        (Invoke-GuardedWrite -Connector FileSystem -Target $other -Action NewItem -Parameters @{ ItemType = 'File' } -Reason 'new' -Confirm:$false -Risk Critical).Risk | Should -Be 'Critical'
    }

    It 'resolves a relative target against the current PowerShell location' {
        Push-Location $TestDrive
        try {
            Set-Content -Path 'relative.txt' -Value 'a'
            (Invoke-GuardedWrite -Connector FileSystem -Target 'relative.txt' -Action SetContent -Parameters @{ Value = 'b' } -Reason 'relative').Target |
                Should -Be (Join-Path $TestDrive 'relative.txt')
        }
        finally { Pop-Location }
    }
}

Describe 'Invoke-GuardedWrite with the Script and JsonFile connectors' {
    BeforeAll {
        $script:store = New-Store 'script.db'
    }

    It 'runs a script block with its parameters splatted and returns its output with the operation' {
        $operation = Invoke-GuardedWrite -Connector Script -Target 'dns/www' -ScriptBlock { param($Name, $Count) "$Name x $Count" } -Parameters @{ Name = 'www'; Count = 3 } -Reason 'script'
        $operation.State | Should -Be 'Closed'
        $operation.Action | Should -Be 'Invoke'
        $operation.Preview.Fidelity | Should -Be 'Synthetic'
        $operation.RollbackContract.Method | Should -Be 'None'
        $operation.Output | Should -Be 'www x 3'
        (Invoke-GuardedWrite -Connector Script -Target 'dns/www' -ScriptBlock { 'set' } -RollbackScript { 'unset' } -Reason 'with undo').RollbackContract.Method |
            Should -Be 'InverseOperation'
    }

    It 'ends Failed when the script block throws, records the error and re-emits it' {
        $operation = Invoke-GuardedWrite -Connector Script -Target 'svc/app' -ScriptBlock { throw 'service refused to restart' } -Reason 'restart' -ErrorVariable failed -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'Failed'
        $operation.Error.Message | Should -Match 'service refused to restart'
        $failed[0].FullyQualifiedErrorId | Should -Be 'OperationFailed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $failed[0].TargetObject.OperationId | Should -Be $operation.OperationId
        ((Get-AuditRecord -Sequence $operation.Records[1]).Body | ConvertFrom-Json).transitions | Should -Be @('Failed')
    }

    It 'stops a script under -ErrorAction Stop' {
        $reached = $false
        try {
            Invoke-GuardedWrite -Connector Script -Target 'svc/app' -ScriptBlock { throw 'boom' } -Reason 'stop' -ErrorAction Stop
            $reached = $true
        }
        catch { $caught = $_ }
        $reached | Should -BeFalse
        $caught.FullyQualifiedErrorId | Should -Be 'OperationFailed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
    }

    It 'sets a value inside a JSON file with an exact preview' {
        $file = Join-Path $TestDrive 'app.json'
        Set-Content -Path $file -Value '{"logging":{"level":"Info"},"name":"app"}'
        $operation = Invoke-GuardedWrite -Connector JsonFile -Target "$file#/logging/level" -Action Set -Parameters @{ Value = 'Debug' } -Reason 'debugging'
        $operation.State | Should -Be 'Closed'
        $operation.Preview.Fidelity | Should -Be 'Exact'
        (Get-Content -Raw $file | ConvertFrom-Json).logging.level | Should -Be 'Debug'
        (Get-Content -Raw $file | ConvertFrom-Json).name | Should -Be 'app'
    }

    It 'hands the script block the caller''s own values, nested ones too, and routes its non-terminating errors, which fail the step' {
        # The block inherits the caller's preference: under Continue, Write-Error does not stop it.
        $ErrorActionPreference = 'Continue'
        $operation = Invoke-GuardedWrite -Connector Script -Target 'app/config' -Reason 'nested' -ScriptBlock {
            param($Settings)
            Write-Error 'one host was skipped'
            "$($Settings.user) $($Settings.hosts.Count) $($Settings.credential.UserName)"
        } -Parameters @{ Settings = @{ user = 'deploy'; hosts = @('a', 'b'); password = 'nested-secret-value'
                credential = [pscredential]::new('svc', (ConvertTo-SecureString 'x' -AsPlainText -Force)) } } -ErrorVariable written -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'Failed'
        $operation.Output | Should -Be 'deploy 2 svc'
        $written.Count | Should -Be 2
        "$($written[0])" | Should -Be 'one host was skipped'
        $written[1].FullyQualifiedErrorId | Should -Be 'OperationScriptFailed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        (Get-AuditRecord -Sequence $operation.Records[0]).Body | Should -Not -Match 'nested-secret-value'
    }

    It 'refuses a rollback script for a connector that undoes by other means' {
        $file = Join-Path $TestDrive 'no-rollback-script.txt'
        Set-Content -Path $file -Value 'x'
        $operation = Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = 'y' } -RollbackScript { 'undo' } -Reason 'x' -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'ValidationFailed'
        $operation.Error.ErrorId | Should -Be 'OperationRollbackScriptNotSupported'
    }

    It 'supplies -CorrelationId for a whole script through $PSDefaultParameterValues' {
        $PSDefaultParameterValues['Invoke-GuardedWrite:CorrelationId'] = 'RUN-42'
        try {
            1..2 | ForEach-Object { $null = Invoke-GuardedWrite -Connector Script -Target "step/$_" -ScriptBlock { 'ok' } -Reason 'runbook step' }
        }
        finally { $PSDefaultParameterValues.Remove('Invoke-GuardedWrite:CorrelationId') }
        $steps = Get-Operation -CorrelationId 'RUN-42'
        $steps.Count | Should -Be 2
        $steps.Target | Should -Be @('step/1', 'step/2')
    }

    It 'records secret values only as keyed hashes' {
        $secret = 'hunter2-' + [guid]::NewGuid()
        $credential = [pscredential]::new('svc-deploy', (ConvertTo-SecureString "cred-$secret" -AsPlainText -Force))
        $token = ConvertTo-SecureString "token-$secret" -AsPlainText -Force
        $operation = Invoke-GuardedWrite -Connector Script -Target 'vault/app' -Reason 'rotate' -ScriptBlock {
            param($Password, $ApiToken, $Credential, $Mode)
            "$($Credential.UserName) $Mode $($Password.Length)"
        } -Parameters @{ Password = $secret; ApiToken = $token; Credential = $credential; Mode = 'rotate' }
        $operation.State | Should -Be 'Closed'
        $operation.Output | Should -Be "svc-deploy rotate $($secret.Length)"
        $recorded = ((Get-AuditRecord -Sequence $operation.Records[0]).Body | ConvertFrom-Json).intent.parameters
        $recorded.Password.hmacSha256 | Should -Match '^[0-9a-f]{64}$'
        $recorded.ApiToken.hmacSha256 | Should -Match '^[0-9a-f]{64}$'
        $recorded.Credential.hmacSha256 | Should -Match '^[0-9a-f]{64}$'
        $recorded.Mode | Should -Be 'rotate'
        # Keyed by the store's own secret key file, not by anything a guesser could know.
        $key = [IO.File]::ReadAllBytes("$store.secret.key")
        $key.Length | Should -Be 32
        $hmac = { param($text) [Convert]::ToHexString([Security.Cryptography.HMACSHA256]::HashData($key, [Text.Encoding]::UTF8.GetBytes($text))).ToLowerInvariant() }
        $recorded.Password.hmacSha256 | Should -Be (& $hmac "`"$secret`"")
        $recorded.ApiToken.hmacSha256 | Should -Be (& $hmac "token-$secret")
        $recorded.Credential.hmacSha256 | Should -Be (& $hmac "svc-deploy`ncred-$secret")
        # While the store is open its newest pages sit in the write-ahead log; after closing, in the file.
        "$store-wal" | Should -Exist
        foreach ($phase in 'open', 'closed') {
            if ($phase -eq 'closed') { Disconnect-AuditStore }
            $files = @(Get-ChildItem "$store*" -File | Where-Object Name -notlike '*.pfx' | Where-Object Name -notlike '*.key')
            $files.Name | Should -Contain (Split-Path -Leaf $store)
            foreach ($file in $files) {
                $bytes = [IO.File]::ReadAllBytes($file.FullName)
                foreach ($encoding in [Text.Encoding]::UTF8, [Text.Encoding]::Unicode) {
                    $encoding.GetString($bytes) | Should -Not -Match ([regex]::Escape($secret)) -Because "$($file.Name) ($phase) must not hold the secret"
                }
            }
        }
        Connect-AuditStore -Path $store
    }
}

Describe 'Refusals' {
    BeforeAll {
        $script:store = New-Store 'refusals.db'
        $script:file = Join-Path $TestDrive 'refused.txt'
        Set-Content -Path $file -Value 'untouched' -NoNewline
    }

    It 'records <Case> as ValidationFailed, outputs it, then reports <ErrorId>' -ForEach @(
        @{ Case = 'an unknown connector'; ErrorId = 'ConnectorNotFound'; Arguments = @{ Connector = 'Registry'; Target = 'HKLM:\x' } }
        @{ Case = 'an unknown action'; ErrorId = 'ConnectorActionNotFound'; Arguments = @{ Connector = 'FileSystem'; Action = 'Chmod' } }
        @{ Case = 'an unresolvable target'; ErrorId = 'OperationTargetUnresolvable'; Arguments = @{ Connector = 'JsonFile'; Action = 'Set'; Parameters = @{ Value = 1 } } }
        @{ Case = 'a missing required parameter'; ErrorId = 'OperationParameterMissing'; Arguments = @{ Connector = 'FileSystem'; Action = 'SetContent'; Parameters = @{} } }
        @{ Case = 'a parameter the action does not take'; ErrorId = 'OperationParameterUnexpected'; Arguments = @{ Connector = 'FileSystem'; Action = 'SetContent'; Parameters = @{ Value = 'x'; Colour = 'red' } } }
        @{ Case = 'a script block with a declarative action'; ErrorId = 'OperationScriptBlockConflict'; Arguments = @{ Connector = 'FileSystem'; Action = 'SetContent'; Parameters = @{ Value = 'x' }; ScriptBlock = { 'x' } } }
        @{ Case = 'a parameter the script block does not declare'; ErrorId = 'OperationParameterUnexpected'; Arguments = @{ Connector = 'Script'; Target = 'x'; ScriptBlock = { param($A) $A }; Parameters = @{ B = 1 } } }
    ) {
        $call = @{ Target = $file; Reason = 'refusal test' }
        foreach ($name in $Arguments.Keys) { $call[$name] = $Arguments[$name] }
        $before = (Get-AuditStore).RecordCount
        $operation = Invoke-GuardedWrite @call -ErrorVariable refused -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'ValidationFailed'
        $operation.Error.ErrorId | Should -Be $ErrorId
        $refused[0].FullyQualifiedErrorId | Should -Be "$ErrorId,AuditGuard.Cmdlets.InvokeGuardedWriteCommand"
        ((Get-AuditStore).RecordCount - $before) | Should -Be 1
        Get-Content -Raw $file | Should -Be 'untouched'
        { Invoke-GuardedWrite @call -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,AuditGuard.Cmdlets.InvokeGuardedWriteCommand"
    }

    It 'refuses an empty reason at parameter binding and records nothing' {
        $before = (Get-AuditStore).RecordCount
        { Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = 'x' } -Reason '' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        (Get-AuditStore).RecordCount | Should -Be $before
    }

    It 'fails closed: a store that cannot sign says so, and nothing runs' {
        Disconnect-AuditStore
        $copy = Join-Path $TestDrive 'read-only-copy.db'
        Copy-Item $store $copy
        Connect-AuditStore -Path $copy -WarningAction SilentlyContinue
        $marker = Join-Path $TestDrive 'must-not-exist.txt'
        { Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { param($Path) Set-Content $Path 'ran' } -Parameters @{ Path = $marker } -Reason 'fail closed' } |
            Should -Throw -ErrorId 'SignerKeyUnavailable,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $marker | Should -Not -Exist
        Connect-AuditStore -Path $store
    }
}

Describe 'Script steps that fail without throwing' {
    BeforeAll {
        $script:store = New-Store 'quiet-failures.db'
    }

    It 'records a script block whose native command exits non-zero as Failed, with the exit code' {
        $operation = Invoke-GuardedWrite -Connector Script -Target 'app/migrate' -ScriptBlock { sh -c 'exit 3' } -Reason 'native step' `
            -ErrorVariable failed -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'Failed'
        $operation.Error.ErrorId | Should -Be 'OperationScriptFailed'
        $operation.Error.Message | Should -Match 'exited with code 3'
        $failed[-1].FullyQualifiedErrorId | Should -Be 'OperationScriptFailed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $LASTEXITCODE | Should -Be 3
    }

    It 'records a script block that writes an error as Failed, and the error still reaches the caller' {
        # The block inherits the caller's preference: under Continue, Write-Error does not stop it.
        $ErrorActionPreference = 'Continue'
        $operation = Invoke-GuardedWrite -Connector Script -Target 'app/quota' -ScriptBlock { Write-Error 'disk quota exceeded'; 'went on' } -Reason 'error step' `
            -ErrorVariable failed -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'Failed'
        $operation.Error.Message | Should -Match 'disk quota exceeded'
        $operation.Output | Should -Be 'went on'
        @($failed | ForEach-Object { $_.ToString() }) | Should -Contain 'disk quota exceeded'
        ($failed | Where-Object FullyQualifiedErrorId -like 'OperationScriptFailed,*') | Should -Not -BeNullOrEmpty
    }

    It 'closes a script block that succeeds, and leaves the caller''s last exit code as it was' {
        sh -c 'exit 5'
        $operation = Invoke-GuardedWrite -Connector Script -Target 'app/ok' -ScriptBlock { 'fine' } -Reason 'clean step'
        $operation.State | Should -Be 'Closed'
        $LASTEXITCODE | Should -Be 5
    }

    It 'refuses a blank reason, or one with control characters, and records the refusal' {
        foreach ($reason in '   ', "CHG-1`e[31m approved", "two`nlines") {
            $refused = Invoke-GuardedWrite -Connector Script -Target 'app/x' -ScriptBlock { 'x' } -Reason $reason -ErrorVariable refusal -ErrorAction SilentlyContinue
            $refused.State | Should -Be 'ValidationFailed'
            $refusal[0].FullyQualifiedErrorId | Should -Be 'OperationReasonInvalid,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        }
    }
}

Describe 'Get-Operation' {
    BeforeAll {
        $script:store = New-Store 'listing.db'
        $script:first = Invoke-GuardedWrite -Connector Script -Target 'web/alpha' -ScriptBlock { 'a' } -Reason 'one'
        $script:second = Invoke-GuardedWrite -Connector Script -Target 'web/beta' -ScriptBlock { throw 'no' } -Reason 'two' -ErrorAction SilentlyContinue
        $script:third = Invoke-GuardedWrite -Connector Script -Target 'db/gamma' -ScriptBlock { 'c' } -Reason 'three' -WhatIf
    }

    It 'returns every operation with no filter, oldest first' {
        (Get-Operation).OperationId | Should -Be @($first.OperationId, $second.OperationId, $third.OperationId)
    }

    It 'filters by state, connector, target, id, time and count' {
        (Get-Operation -State Failed).OperationId | Should -Be $second.OperationId
        (Get-Operation -State Closed, DryRun).Count | Should -Be 2
        (Get-Operation -Connector script).Count | Should -Be 3
        (Get-Operation -Target 'web/*').Count | Should -Be 2
        (Get-Operation -OperationId $third.OperationId).Target | Should -Be 'db/gamma'
        (Get-Operation -Last 1).OperationId | Should -Be $third.OperationId
        (Get-Operation -Target 'web/*' -Last 1).OperationId | Should -Be $second.OperationId
        Get-Operation -OperationId $first.OperationId -State Failed -ErrorVariable notFound | Should -BeNullOrEmpty
        $notFound | Should -BeNullOrEmpty
        Get-Operation -Since ([datetime]::UtcNow.AddMinutes(5)) | Should -BeNullOrEmpty
        ($first | Get-Operation).State | Should -Be 'Closed'
    }

    It 'is answered from an index that Test-AuditChain checks against the ledger' {
        (Test-AuditChain).IsValid | Should -BeTrue
        Disconnect-AuditStore
        sqlite3 $store "UPDATE operations SET state = 'Closed' WHERE op_id = '$($second.OperationId)'"
        Connect-AuditStore -Path $store
        (Get-Operation -State Closed).Count | Should -Be 2
        $result = Test-AuditChain
        $result.IsValid | Should -BeFalse
        $result.Verdicts.Kind | Should -Contain 'IndexMismatch'
    }
}

Describe 'Crash recovery' {
    It 'finds the operation a killed process left Executing and settles it with Repair-Operation' {
        $store = Join-Path $TestDrive 'crash.db'
        $file = Join-Path $TestDrive 'crash-target.txt'
        $marker = Join-Path $TestDrive 'script-started'
        Set-Content -Path $file -Value 'before crash' -NoNewline
        $script = "Import-Module '$(Get-AuditGuardModulePath)'; Connect-AuditStore -Path '$store'; " +
            "Invoke-GuardedWrite -Connector FileSystem -Target '$file' -Action Invoke -Reason 'long change' -Confirm:`$false -ScriptBlock { Set-Content '$file' 'half-way' -NoNewline; Set-Content '$marker' 'x'; Start-Sleep -Seconds 120 }"
        $child = Start-Process -FilePath (Get-PwshPath) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and -not (Test-Path $marker)) { Start-Sleep -Milliseconds 100 }
        $marker | Should -Exist

        # From this second process, the running operation is running: never an orphan to settle.
        Connect-AuditStore -Path $store
        $running = Get-Operation
        $running.State | Should -Be 'Executing'
        $running.Liveness | Should -Be 'Running'
        $running.IsOrphaned | Should -BeFalse
        Get-Operation -Orphaned | Should -BeNullOrEmpty
        { $running | Repair-Operation -ErrorAction Stop } | Should -Throw -ErrorId 'OperationStillRunning,AuditGuard.Cmdlets.RepairOperationCommand'
        { $running | Repair-Operation -Force -ErrorAction Stop } | Should -Throw -ErrorId 'OperationStillRunning,AuditGuard.Cmdlets.RepairOperationCommand'

        # SIGKILL on Unix, TerminateProcess on Windows: no chance to clean up.
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()

        $orphan = Get-Operation -Orphaned
        $orphan.Count | Should -Be 1
        $orphan.State | Should -Be 'Executing'
        $orphan.IsOrphaned | Should -BeTrue
        $orphan.Liveness | Should -Be 'Orphaned'
        $repaired = Get-Operation -Orphaned | Repair-Operation
        $repaired.State | Should -Be 'Indeterminate'
        # The script had written half of its change: the target matches neither recorded state.
        $repaired.Finding | Should -Be 'Neither'
        $repaired.RepairForced | Should -BeFalse
        $repaired.Records.Count | Should -Be 2
        $repair = Get-AuditRecord -Sequence $repaired.Records[1] | ForEach-Object { $_.Body | ConvertFrom-Json }
        $repair.liveness | Should -Be 'Orphaned'
        $repair.forced | Should -BeFalse
        Get-Operation -Orphaned | Should -BeNullOrEmpty
        (Test-AuditChain).IsValid | Should -BeTrue
        { Repair-Operation -OperationId $repaired.OperationId -ErrorAction Stop } | Should -Throw -ErrorId 'OperationNotOrphaned,AuditGuard.Cmdlets.RepairOperationCommand'
    }

    It 'says the change ran and must not be repeated when the disk fills before its outcome is recorded' -Skip:(-not (Test-IsRoot)) {
        $disk = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'small-disk')
        mount -t tmpfs -o 'size=2m,mode=0755' tmpfs $disk
        try {
            $store = Join-Path $disk 'audit.db'
            Connect-AuditStore -Path $store
            $fill = Join-Path $disk 'fill'
            $failure = { Invoke-GuardedWrite -Connector Script -Target 'db/reindex' -Reason 'fills the disk' -ScriptBlock {
                    param($Path)
                    try { [IO.File]::WriteAllBytes($Path, [byte[]]::new(4MB)) } catch { }
                } -Parameters @{ Path = $fill } } | Should -Throw -PassThru -ErrorId 'OperationOutcomeNotRecorded,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
            $failure.Exception.Message | Should -Match 'Do not run it again'
            $failure.Exception.InnerException.Message | Should -Match 'disk is full'

            Remove-Item $fill
            $orphan = Get-Operation -Orphaned
            $orphan.Target | Should -Be 'db/reindex'
            ($orphan | Repair-Operation).State | Should -Be 'Indeterminate'
            (Test-AuditChain).IsValid | Should -BeTrue
        }
        finally {
            Disconnect-AuditStore
            umount $disk
        }
    }

    It 'settles an operation whose liveness cannot be told only with -Force, and records that it was forced' {
        $store = Join-Path $TestDrive 'lost-lock.db'
        $marker = Join-Path $TestDrive 'lost-lock-started'
        $script = "Import-Module '$(Get-AuditGuardModulePath)'; Connect-AuditStore -Path '$store'; " +
            "Invoke-GuardedWrite -Connector Script -Target 'app/worker' -Reason 'long job' -ScriptBlock { Set-Content '$marker' 'x'; Start-Sleep -Seconds 120 }"
        $child = Start-Process -FilePath (Get-PwshPath) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and -not (Test-Path $marker)) { Start-Sleep -Milliseconds 100 }
        $marker | Should -Exist
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()
        # The lock that would prove the process gone is lost as well (cleaned away, or on another host).
        Remove-Item -Recurse -Force "$store.running"

        Connect-AuditStore -Path $store
        $unknown = Get-Operation
        $unknown.Liveness | Should -Be 'Unknown'
        $unknown.IsOrphaned | Should -BeFalse
        { $unknown | Repair-Operation -ErrorAction Stop } | Should -Throw -ErrorId 'OperationLivenessUnknown,AuditGuard.Cmdlets.RepairOperationCommand'
        $forced = $unknown | Repair-Operation -Force
        $forced.State | Should -Be 'Indeterminate'
        $forced.RepairForced | Should -BeTrue
        $forced.Finding | Should -Be 'Unknown'
        (Get-AuditRecord -Sequence $forced.Records[-1]).Body | ConvertFrom-Json | ForEach-Object forced | Should -BeTrue
    }
}

Describe 'A failure AuditGuard did not raise itself' {
    BeforeAll {
        $script:store = New-Store 'unexpected.db'
    }

    It 'is reported as AuditGuardInternalError with the original exception inside, and nothing runs' {
        $ran = Join-Path $TestDrive 'ran.txt'
        $before = (Get-AuditStore).RecordCount
        # A secret whose memory was already released: reading it to key its HMAC fails in a way nothing anticipates.
        $released = ConvertTo-SecureString 'released' -AsPlainText -Force
        $released.Dispose()

        $block = [scriptblock]::Create("param(`$Password) Set-Content -Path '$ran' -Value 'ran'")

        $failure = { Invoke-GuardedWrite -Connector Script -Target 'app' -ScriptBlock $block -Parameters @{ Password = $released } -Reason 'released secret' } |
            Should -Throw -PassThru -ErrorId 'AuditGuardInternalError,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'

        $failure.Exception.Message | Should -Match 'failed unexpectedly'
        $failure.Exception.InnerException | Should -BeOfType [System.ObjectDisposedException]
        $failure.CategoryInfo.Category | Should -Be 'NotSpecified'
        Test-Path $ran | Should -BeFalse
        (Get-AuditStore).RecordCount | Should -Be $before
    }
}
