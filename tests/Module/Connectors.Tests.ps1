# Connectors as extension modules: registered per store with the digest of their files, checked
# against the contract, run in runspaces of their own, and contained when they misbehave.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force
    $script:sample = Join-Path (Get-RepositoryRoot) 'examples/connectors/HostsFile'

    function New-Journal([string] $Window = '1.00:00:00') {
        $root = Join-Path $TestDrive "modules-$([guid]::NewGuid())"
        New-TestConnectorModule -Root $root -Name 'TestJournal' -Body (Get-TestJournalConnectorBody -Window $Window)
    }

    function New-JournalFile {
        $path = Join-Path $TestDrive "journal-$([guid]::NewGuid()).log"
        Set-Content -LiteralPath $path -Value '' -NoNewline
        $path
    }
}

Describe 'Register-GuardConnector and Get-GuardConnector' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "connectors-$([guid]::NewGuid()).db") }

    It 'registers the sample with a record binding its version and files, and prints it in the capability matrix' {
        $registered = Register-GuardConnector -ModuleName $sample

        $registered.Name | Should -Be 'HostsFile'
        $registered.Source | Should -Be 'Extension'
        $registered.ModuleVersion | Should -Be '1.0.0'
        $registered.FilesDigest | Should -Match '^[0-9a-f]{64}$'
        $record = Get-AuditRecord -Sequence $registered.RegisteredSequence
        $record.Type | Should -Be 'connector.registered'
        $body = $record.Body | ConvertFrom-Json
        $body.module.version | Should -Be '1.0.0'
        $body.filesDigest | Should -Be $registered.FilesDigest
        $body.capabilities.rollbackMethod | Should -Be 'SnapshotRestore'

        $matrix = Get-GuardConnector
        $matrix.Name | Should -Be @('FileSystem', 'HostsFile', 'JsonFile', 'Script')
        ($matrix | Where-Object Name -eq 'HostsFile').RollbackWindow | Should -Be ([timespan]'7.00:00:00')
        $table = $matrix | Format-Table | Out-String -Width 200
        $table | Should -Match 'HostsFile\s+PathAndFragment\s+Exact\s+SnapshotRestore\s+Set \(Medium\), Remove \(Medium\)'
        $table | Should -Match '\(7\.00:00:00\)'
        ($matrix | Where-Object Source -eq 'BuiltIn').Name | Should -Be @('FileSystem', 'JsonFile', 'Script')
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'keeps registrations per store, and -Name registers under another name' {
        Register-GuardConnector -ModuleName $sample -Name Hosts | Out-Null
        (Get-GuardConnector -Name Hosts).ModuleName | Should -Be 'HostsFile'

        Connect-AuditStore -Path (Join-Path $TestDrive "other-$([guid]::NewGuid()).db")
        Get-GuardConnector -Name Hosts -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Invoke-GuardedWrite -Connector Hosts -Target './h#x' -Action Set -Parameters @{ Address = '10.0.0.1' } -Reason 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorNotFound,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
    }

    It 'refuses a module that breaks the contract, naming what is missing, and records nothing' -ForEach @(
        @{ Case = 'no nested connector module'; Problem = 'nested module'; Module = { param($root) New-TestConnectorModule -Root $root -Name Bare -Body (Get-TestJournalConnectorBody) -NoNested } }
        @{ Case = 'a mandatory function missing'; Problem = 'does not export Test-ConnectorState'
           Module = { param($root) New-TestConnectorModule -Root $root -Name NoTest -Body (Get-TestJournalConnectorBody) -Functions Get-ConnectorCapability, Resolve-ConnectorTarget, Test-ConnectorIntent, Get-ConnectorState, Invoke-ConnectorAction, Restore-ConnectorState } }
        @{ Case = 'a mandatory parameter missing'; Problem = 'Resolve-ConnectorTarget does not declare the parameter -Target'
           Module = { param($root) New-TestConnectorModule -Root $root -Name NoParam -Body ((Get-TestJournalConnectorBody) -replace 'function Resolve-ConnectorTarget \{ param\(\[string\] \$Target\) \[IO.Path\]::GetFullPath\(\$Target\) \}', 'function Resolve-ConnectorTarget { param([string] $Name) $Name }') } }
        @{ Case = 'rollback claimed without Restore-ConnectorState'; Problem = 'must export Restore-ConnectorState'
           Module = { param($root) New-TestConnectorModule -Root $root -Name NoRestore -Body (Get-TestJournalConnectorBody) -Functions Get-ConnectorCapability, Resolve-ConnectorTarget, Test-ConnectorIntent, Get-ConnectorState, Invoke-ConnectorAction, Test-ConnectorState } }
        @{ Case = 'a capability record the contract does not allow'; Problem = 'RollbackMethod'; ErrorId = 'ConnectorOutputInvalid'
           Module = { param($root) New-TestConnectorModule -Root $root -Name BadCapability -Body ((Get-TestJournalConnectorBody) -replace "RollbackMethod = 'SnapshotRestore'", "RollbackMethod = 'Sometimes'") } }
    ) {
        $module = & $Module (Join-Path $TestDrive "broken-$([guid]::NewGuid())")
        $before = (Get-AuditStore).RecordCount
        $id = if ($ErrorId) { $ErrorId } else { 'ConnectorContractInvalid' }
        $failure = { Register-GuardConnector -ModuleName $module -ErrorAction Stop } | Should -Throw -PassThru -ErrorId "$id,AuditGuard.Cmdlets.RegisterGuardConnectorCommand"
        $failure.Exception.Message | Should -BeLike "*$Problem*"
        (Get-AuditStore).RecordCount | Should -Be $before
    }

    It 'refuses a module that cannot be found, and a name a built-in connector has' {
        { Register-GuardConnector -ModuleName (Join-Path $TestDrive 'nothing-here') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorModuleNotFound,AuditGuard.Cmdlets.RegisterGuardConnectorCommand'
        { Register-GuardConnector -ModuleName $sample -Name FileSystem -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorNameConflict,AuditGuard.Cmdlets.RegisterGuardConnectorCommand'
    }

    It 'refuses a registered module whose files changed until it is registered again' {
        $module = New-Journal
        Register-GuardConnector -ModuleName $module | Out-Null
        $journal = New-JournalFile
        Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'one' } -Reason 'before the change' | Out-Null
        Add-Content -LiteralPath (Join-Path $module 'TestJournal.AuditGuardConnector/TestJournal.AuditGuardConnector.psm1') -Value '# planted'

        $failure = { Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'two' } -Reason 'after the change' -ErrorAction Stop } |
            Should -Throw -PassThru -ErrorId 'ConnectorModuleChanged,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $failure.Exception.Message | Should -Match 'Register-GuardConnector'
        Get-Content -Raw $journal | Should -Be "one`n"

        $again = Register-GuardConnector -ModuleName $module
        $again.RegisteredSequence | Should -BeGreaterThan 1
        (Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'two' } -Reason 'registered again').State | Should -Be 'Closed'
    }

    It 'unregisters a connector: its writes are refused from then on, its past operations stay' {
        Register-GuardConnector -ModuleName (New-Journal) | Out-Null
        $journal = New-JournalFile
        $past = Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'kept' } -Reason 'before'

        Unregister-GuardConnector -Name TestJournal -Confirm:$false

        (Get-AuditRecord -Last 1).Type | Should -Be 'connector.unregistered'
        { Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'x' } -Reason 'after' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorNotFound,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        (Get-Operation -OperationId $past.OperationId).State | Should -Be 'Closed'
        { Unregister-GuardConnector -Name TestJournal -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorNotRegistered,AuditGuard.Cmdlets.UnregisterGuardConnectorCommand'
        { Unregister-GuardConnector -Name FileSystem -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorNotRegistered,AuditGuard.Cmdlets.UnregisterGuardConnectorCommand'
    }
}

Describe 'An extension connector at work' {
    BeforeEach {
        Connect-AuditStore -Path (Join-Path $TestDrive "work-$([guid]::NewGuid()).db")
        Register-GuardConnector -ModuleName (New-Journal) | Out-Null
    }

    It 'writes, verifies and rolls back through its functions' {
        $journal = New-JournalFile
        $write = Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'hello' } -Reason 'CHG-50 note'
        $write.State | Should -Be 'Closed'
        $write.Records.Count | Should -Be 2
        $write.Preview.Fidelity | Should -Be 'Exact'
        (Get-AuditRecord -Sequence $write.Records[1]).Body | ConvertFrom-Json | ForEach-Object verification | Should -Be 'Passed'

        $undo = Undo-Operation -OperationId $write.OperationId -Reason 'not needed' -Confirm:$false
        $undo.State | Should -Be 'Closed'
        Get-Content -Raw $journal | Should -BeNullOrEmpty
        (Get-Operation -OperationId $write.OperationId).State | Should -Be 'RolledBack'
    }

    It 'compensates an irreversible action, recorded as compensation and never as a rollback' {
        $journal = New-JournalFile
        $published = Invoke-GuardedWrite -Connector TestJournal -Action Publish -Target $journal -Parameters @{ Line = 'price list v2' } -Reason 'CHG-51 publish'
        $published.RollbackContract.Method | Should -Be 'PartialCompensation'

        $compensation = Undo-Operation -OperationId $published.OperationId -Reason 'wrong prices' -Confirm:$false

        $compensation.State | Should -Be 'Closed'
        $compensation.Action | Should -Be 'Compensate'
        $compensation.UndoKind | Should -Be 'Compensation'
        Get-Content -Raw $journal | Should -Be "price list v2`nRETRACTED: price list v2`n"
        $original = Get-Operation -OperationId $published.OperationId
        $original.State | Should -Be 'Compensated'
        $steps = $original.Records[-2, -1] | ForEach-Object { (Get-AuditRecord -Sequence $_).Body | ConvertFrom-Json }
        $steps.transitions | Should -Be @('Compensating', 'Compensated')
        { Undo-Operation -OperationId $published.OperationId -Reason 'again' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationAlreadyUndone,AuditGuard.Cmdlets.UndoOperationCommand'
        { Undo-Operation -OperationId $compensation.OperationId -Reason 'undo the retraction' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationRollbackNotSupported,AuditGuard.Cmdlets.UndoOperationCommand'
    }

    It 'refuses an irreversible action at planning where a rule requires a rollback contract' {
        $policy = Join-Path $TestDrive "policy-$([guid]::NewGuid()).psd1"
        Set-Content -LiteralPath $policy -Value "@{ Version = 1; Rules = @( @{ Id = 'undoable-only'; Connector = 'TestJournal'; Effect = 'Allow'; RequireRollback = `$true } ) }"
        Set-GuardPolicy -Path $policy
        $journal = New-JournalFile

        { Invoke-GuardedWrite -Connector TestJournal -Action Publish -Target $journal -Parameters @{ Line = 'x' } -Reason 'irreversible' -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationPolicyDenied,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $journal | Should -BeNullOrEmpty
        (Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'x' } -Reason 'reversible').State | Should -Be 'Closed'
    }

    It 'refuses an undo once the connector''s rollback window has passed' {
        Register-GuardConnector -ModuleName (New-Journal -Window '00:00:02') -Name ShortJournal | Out-Null
        $journal = New-JournalFile
        $write = Invoke-GuardedWrite -Connector ShortJournal -Action Write -Target $journal -Parameters @{ Line = 'brief' } -Reason 'short window'
        $write.RollbackContract.Window | Should -Be ([timespan]'00:00:02')
        Start-Sleep -Seconds 3

        $failure = { Undo-Operation -OperationId $write.OperationId -Reason 'too late' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -PassThru -ErrorId 'OperationRollbackWindowExpired,AuditGuard.Cmdlets.UndoOperationCommand'
        $failure.Exception.Message | Should -Match '00:00:02'
        Get-Content -Raw $journal | Should -Be "brief`n"
    }

    It 'contains a connector that throws: the step is Failed with an error naming the connector and function' {
        $journal = New-JournalFile
        $failed = Invoke-GuardedWrite -Connector TestJournal -Action Throw -Target $journal -Reason 'jam' -ErrorVariable errors -ErrorAction SilentlyContinue
        $failed.State | Should -Be 'Failed'
        $errors[0].FullyQualifiedErrorId | Should -Be 'ConnectorCallFailed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $errors[0].Exception.Message | Should -Match "TestJournal.*Invoke-ConnectorAction.*jammed"
        $failed.Error.ErrorId | Should -Be 'ConnectorCallFailed'
    }

    It 'contains a connector that writes to the host: its warnings come back through the cmdlet, its output is not taken as a result' {
        $journal = New-JournalFile
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$((Get-AuditStore).Path)'
`$op = Invoke-GuardedWrite -Connector TestJournal -Action Chatty -Target '$journal' -Parameters @{ Line = 'noisy' } -Reason 'chatty' -WarningVariable warned -WarningAction SilentlyContinue
"STATE=`$(`$op.State)"
"WARNED=`$warned"
"OUTPUT=`$(`$op.Output.Count)"
"@
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Contain 'STATE=Closed'
        $result.Output | Should -Contain 'HOST-NOISE from the connector'
        ($result.Output | Where-Object { $_ -like 'WARNED=*' }) | Should -Match '\[TestJournal\] the journal is nearly full'
        $result.Output | Should -Contain 'OUTPUT=0'
        Get-Content -Raw $journal | Should -Be "noisy`n"
    }

    It 'stops a connector that hangs past the store''s timeout, claims no outcome, and leaves the operation for Repair-Operation' {
        Set-AuditStoreSetting -Name ConnectorTimeoutSeconds -Value 2 -Confirm:$false
        $journal = New-JournalFile
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $failure = { Invoke-GuardedWrite -Connector TestJournal -Action Hang -Target $journal -Reason 'hang' -ErrorAction Stop } |
            Should -Throw -PassThru -ErrorId 'OperationOutcomeUnknown,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        $failure.Exception.Message | Should -Match 'Repair-Operation'
        $failure.Exception.InnerException.Message | Should -Match 'TestJournal.*Invoke-ConnectorAction.*2 s'
        $hung = Get-Operation -Last 1
        $hung.State | Should -Be 'Executing'

        $repaired = $hung | Repair-Operation
        $repaired.State | Should -Be 'Indeterminate'
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'refuses a malformed state before anything runs, and never records a write Closed on one' {
        $bad = Join-Path $TestDrive 'journal.malformed'
        { Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $bad -Parameters @{ Line = 'x' } -Reason 'bad state' -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConnectorOutputInvalid,AuditGuard.Cmdlets.InvokeGuardedWriteCommand' -ExpectedMessage '*TestJournal*Get-ConnectorState*'
        (Get-Operation -Last 1).State | Should -Be 'ValidationFailed'

        $journal = New-JournalFile
        $broken = Invoke-GuardedWrite -Connector TestJournal -Action Write -Target $journal -Parameters @{ Line = 'BREAK' } -Reason 'state breaks after' -ErrorAction SilentlyContinue
        $broken.State | Should -Be 'VerificationFailed'
        $broken.Error.ErrorId | Should -Be 'ConnectorOutputInvalid'
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}
