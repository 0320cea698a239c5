# Policies as admins write and roll them out: a .psd1 read as data, set in the store, deciding
# every guarded write at the same gate for a dry run and a real run.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function New-PolicyFile([string] $Rules, [string] $Name = 'policy.psd1', [string] $Default = 'Allow') {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value @"
@{
    Version        = 1
    DefaultEffect  = '$Default'
    ApproverGroups = @{ Board = @('CORP\bob', 'carol', 'dave') }
    Rules          = @(
$Rules
    )
}
"@
        $path
    }

    function New-Target([string] $Name) {
        $path = Join-Path $TestDrive $Name
        Set-Content -LiteralPath $path -Value 'old' -NoNewline
        $path
    }
}

Describe 'Set-GuardPolicy and Get-GuardPolicy' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "set-$([guid]::NewGuid()).db") }

    It 'sets a policy file as the store''s active policy, kept with its text and reason' {
        $file = New-PolicyFile "        @{ Id = 'freeze-etc'; Target = '/etc/*'; Effect = 'Deny' }"

        $set = Set-GuardPolicy -Path $file -Reason 'CAB-7 approved policy' -PassThru
        $got = Get-GuardPolicy

        $got.Digest | Should -Be $set.Digest
        $got.Digest | Should -Match '^[0-9a-f]{64}$'
        $got.IsActive | Should -BeTrue
        $got.Reason | Should -Be 'CAB-7 approved policy'
        $got.SourceName | Should -Be 'policy.psd1'
        $got.Text | Should -Be (Get-Content -Raw -LiteralPath $file)
        $got.Rules.Id | Should -Be 'freeze-etc'
        $got.ApproverGroups.Board | Should -Be @('CORP\bob', 'carol', 'dave')
        (Get-AuditRecord -Type policy.set).Count | Should -Be 1
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'keeps every policy the store had, and setting the active one again records nothing' {
        $first = Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'a'; Effect = 'Deny' }" -Name 'a.psd1') -PassThru
        $second = Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'b'; Effect = 'Allow' }" -Name 'b.psd1') -PassThru
        $count = (Get-AuditStore).RecordCount

        Set-GuardPolicy -Path (Join-Path $TestDrive 'b.psd1') -WarningVariable warned -WarningAction SilentlyContinue

        (Get-AuditStore).RecordCount | Should -Be $count
        "$warned" | Should -Match 'already the store''s active policy'
        $all = Get-GuardPolicy -All
        $all.Digest | Should -Be @($first.Digest, $second.Digest)
        $all.IsActive | Should -Be @($false, $true)
    }

    It 'previews under -WhatIf and records nothing' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'a'; Effect = 'Deny' }") -WhatIf
        Get-GuardPolicy | Should -BeNullOrEmpty
    }

    It 'reports every problem of a broken file with its rule id and key, and loads nothing' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'ok'; Effect = 'Allow' }" -Name 'good.psd1')
        $before = Get-GuardPolicy
        $count = (Get-AuditStore).RecordCount
        $file = New-PolicyFile -Name 'broken.psd1' -Rules @"
        @{ Id = 'typo'; Efect = 'Deny' }
        @{ Id = 'too-many'; Effect = 'RequireApproval'; Approvals = 4; ApproverGroup = 'Board' }
        @{ Id = 'no-group'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Nobody' }
        @{ Id = 'pattern'; Target = '/srv/[abc'; Effect = 'Deny' }
        @{ Id = 'duration'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Board'; ApprovalExpiry = '2 days' }
        @{ Id = 'wrong-type'; Effect = 'Allow'; RequireRollback = 'yes' }
"@

        { Set-GuardPolicy -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'PolicyInvalid,AuditGuard.Cmdlets.SetGuardPolicyCommand'
        $message = $Error[0].Exception.Message

        foreach ($expected in "rule 'typo', key 'Efect'", "rule 'too-many', key 'Approvals'", "rule 'no-group', key 'ApproverGroup'",
            "rule 'pattern', key 'Target'", "rule 'duration', key 'ApprovalExpiry'", "rule 'wrong-type', key 'RequireRollback'") {
            $message | Should -BeLike "*$expected*"
        }
        (Get-GuardPolicy).Digest | Should -Be $before.Digest
        (Get-AuditStore).RecordCount | Should -Be $count
    }

    It 'reads the file as data and never runs it' {
        $marker = Join-Path $TestDrive 'ran.txt'
        $file = Join-Path $TestDrive 'code.psd1'
        Set-Content -LiteralPath $file -Value "@{ Version = 1; Rules = @(); DefaultEffect = `$(Set-Content -Path '$marker' -Value ran; 'Allow') }"

        { Set-GuardPolicy -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'PolicyInvalid,AuditGuard.Cmdlets.SetGuardPolicyCommand'

        $marker | Should -Not -Exist
        Get-GuardPolicy | Should -BeNullOrEmpty
    }

    It 'refuses keys that read the same (1 and 1.0), as PolicyInvalid' {
        $file = Join-Path $TestDrive 'twice.psd1'
        Set-Content -LiteralPath $file -Value "@{ Version = 1; Rules = @( @{ Id = 'a'; Effect = 'Deny'; 1 = 'x'; 1.0 = 'y' } ) }"

        { Set-GuardPolicy -Path $file -ErrorAction Stop } | Should -Throw -ErrorId 'PolicyInvalid,AuditGuard.Cmdlets.SetGuardPolicyCommand'
        $Error[0].Exception.Message | Should -BeLike "*Duplicate keys*"
    }

    It 'refuses a missing file with PolicyFileUnreadable' {
        { Set-GuardPolicy -Path (Join-Path $TestDrive 'absent.psd1') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyFileUnreadable,AuditGuard.Cmdlets.SetGuardPolicyCommand'
    }
}

Describe 'The policy at the gate of Invoke-GuardedWrite' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "gate-$([guid]::NewGuid()).db") }

    It 'allows a write an Allow rule matches, and records the decision' {
        $policy = Set-GuardPolicy -PassThru -Path (New-PolicyFile "        @{ Id = 'ok'; Connector = 'FileSystem'; Effect = 'Allow' }" -Default 'Deny')
        $target = New-Target 'allowed.txt'

        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'test'

        $operation.State | Should -Be 'Closed'
        $operation.PolicyDecision.Effect | Should -Be 'Allow'
        $operation.PolicyDecision.PolicyDigest | Should -Be $policy.Digest
        $operation.PolicyDecision.MatchedRules | Should -Be 'ok'
        Get-Content -Raw $target | Should -Be 'new'
    }

    It 'records a denied write PolicyDenied, writes it out, then reports OperationPolicyDenied' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'freeze'; Connector = 'FileSystem'; Effect = 'Deny' }")
        $target = New-Target 'denied.txt'

        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'test' -ErrorVariable refused -ErrorAction SilentlyContinue

        $operation.State | Should -Be 'PolicyDenied'
        $refused[0].FullyQualifiedErrorId | Should -Be 'OperationPolicyDenied,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $refused[0].TargetObject.OperationId | Should -Be $operation.OperationId
        $refused[0].Exception.Message | Should -BeLike "*'freeze'*"
        Get-Content -Raw $target | Should -Be 'old'
        (Get-Operation -OperationId $operation.OperationId).State | Should -Be 'PolicyDenied'
    }

    It 'stops a write that needs approval PendingApproval, with OperationApprovalRequired, without prompting or changing anything' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 2; ApproverGroup = 'Board'; RequireSignedApproval = `$true }")
        $target = New-Target 'pending.txt'

        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'test' -Risk Critical -ErrorVariable waiting -ErrorAction SilentlyContinue

        $operation.State | Should -Be 'PendingApproval'
        $waiting[0].FullyQualifiedErrorId | Should -Be 'OperationApprovalRequired,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $operation.PolicyDecision.Approvals | Should -Be 2
        $operation.PolicyDecision.ApproverGroup | Should -Be 'Board'
        $operation.PolicyDecision.RequireSignedApproval | Should -BeTrue
        Get-Content -Raw $target | Should -Be 'old'
    }

    It 'stops a runbook that says -ErrorAction Stop at the approval requirement' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Board' }")
        $target = New-Target 'runbook.txt'
        $result = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$((Get-AuditStore).Path)'
try {
    `$operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target '$target' -Parameters @{ Value = 'new' } -Reason 'runbook' -ErrorAction Stop
    'not stopped'
} catch { `$_.FullyQualifiedErrorId }
(Get-Operation -State PendingApproval).Count
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be @('OperationApprovalRequired,AuditGuard.Cmdlets.InvokeGuardedWriteCommand', '1')
    }

    It 'gives -WhatIf exactly the decision the real run gets, without the errors' {
        Set-GuardPolicy -Path (New-PolicyFile @"
        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 2; ApproverGroup = 'Board' }
        @{ Id = 'freeze'; Target = '*frozen*'; Effect = 'Deny' }
"@)
        foreach ($name in 'frozen.txt', 'approve.txt') {
            $target = New-Target $name
            $call = @{ Connector = 'FileSystem'; Action = 'SetContent'; Target = $target; Parameters = @{ Value = 'new' }; Reason = 'test' }

            $dry = Invoke-GuardedWrite @call -WhatIf -ErrorVariable dryErrors
            $real = Invoke-GuardedWrite @call -ErrorAction SilentlyContinue

            $dry.State | Should -Be 'DryRun'
            $dryErrors | Should -BeNullOrEmpty
            ($dry.PolicyDecision | ConvertTo-Json) | Should -Be ($real.PolicyDecision | ConvertTo-Json) -Because "the decision for $name"
            $real.PolicyDecision.Effect | Should -Be ($name -eq 'frozen.txt' ? 'Deny' : 'RequireApproval')
            $dry.IntentHash | Should -Be $real.IntentHash
        }
    }

    It 'lets Deny override a rule that asks for approval' {
        Set-GuardPolicy -Path (New-PolicyFile @"
        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Board' }
        @{ Id = 'freeze'; Connector = 'FileSystem'; Effect = 'Deny' }
"@)
        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target (New-Target 'both.txt') -Parameters @{ Value = 'new' } -Reason 'test' -ErrorAction SilentlyContinue

        $operation.State | Should -Be 'PolicyDenied'
        $operation.PolicyDecision.MatchedRules | Should -Be @('board', 'freeze')
    }

    It 'refuses a write that cannot be undone under RequireRollback, and allows it with a rollback script' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'undoable'; Connector = 'Script'; Effect = 'Allow'; RequireRollback = `$true }")

        $without = Invoke-GuardedWrite -Connector Script -Target 'app/cache' -Reason 'flush' -ScriptBlock { 'flushed' } -ErrorAction SilentlyContinue
        $with = Invoke-GuardedWrite -Connector Script -Target 'app/cache' -Reason 'flush' -ScriptBlock { 'flushed' } -RollbackScript { 'restored' }

        $without.State | Should -Be 'PolicyDenied'
        $without.PolicyDecision.Explanation | Should -BeLike '*requires a rollback contract*'
        $with.State | Should -Be 'Closed'
    }

    It 'runs a break-glass write where the rule allows it, flagged with its review deadline' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 2; ApproverGroup = 'Board'; AllowBreakGlass = `$true; ReviewWithin = '04:00:00' }")
        $target = New-Target 'glass.txt'

        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'INC-5 outage' -BreakGlass

        $operation.State | Should -Be 'Closed'
        $operation.BreakGlass | Should -BeTrue
        $operation.ReviewDue | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddHours(3.9))
        $operation.ReviewDue | Should -BeLessThan ([DateTimeOffset]::UtcNow.AddHours(4.1))
        Get-Content -Raw $target | Should -Be 'new'
    }

    It 'refuses break-glass where the rule does not allow it: PolicyDenied and OperationBreakGlassNotAllowed' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = 2; ApproverGroup = 'Board' }")
        $target = New-Target 'noglass.txt'

        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'INC-6' -BreakGlass -ErrorVariable refused -ErrorAction SilentlyContinue

        $operation.State | Should -Be 'PolicyDenied'
        $operation.BreakGlass | Should -BeFalse
        $refused[0].FullyQualifiedErrorId | Should -Be 'OperationBreakGlassNotAllowed,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        Get-Content -Raw $target | Should -Be 'old'
    }
}

Describe 'Test-GuardPolicy' {
    BeforeAll { Connect-AuditStore -Path (Join-Path $TestDrive 'explain.db') }

    It 'explains the active policy''s decision for a described write, running nothing' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'etc'; Target = '/etc/*'; Effect = 'Deny' }")
        $count = (Get-AuditStore).RecordCount

        $test = Test-GuardPolicy -Connector FileSystem -Action SetContent -Target '/etc/hosts' -Actor 'CORP\alice'

        $test.Effect | Should -Be 'Deny'
        $test.MatchedRules | Should -Be 'etc'
        $test.Explanation | Should -BeLike '*/etc/hosts*'
        $test.Actor | Should -Be 'CORP\alice'
        $test.Risk | Should -Be 'Medium'
        (Get-AuditStore).RecordCount | Should -Be $count
    }

    It 'shows which recorded operations a new policy would have treated differently' {
        Set-GuardPolicy -Path (New-PolicyFile "        @{ Id = 'ok'; Effect = 'Allow' }")
        Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target (New-Target 'keep.txt') -Parameters @{ Value = 'new' } -Reason 'one' | Out-Null
        Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target (New-Target 'secret-plan.txt') -Parameters @{ Value = 'new' } -Reason 'two' | Out-Null
        $new = New-PolicyFile "        @{ Id = 'plans'; Target = '*secret*'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Board' }" -Name 'new.psd1'

        $tests = Get-Operation -Connector FileSystem -State Closed | Test-GuardPolicy -Path $new

        ($tests | Where-Object Changed).Target | Should -BeLike '*secret-plan.txt'
        ($tests | Where-Object Changed).Effect | Should -Be 'RequireApproval'
        ($tests | Where-Object Changed).RecordedEffect | Should -Be 'Allow'
        ($tests | Where-Object { -not $_.Changed }).Target | Should -BeLike '*keep.txt'
        (Get-GuardPolicy).Rules.Id | Should -Be 'ok'
    }
}
