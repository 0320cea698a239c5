# Approvals as approvers give them: signed with their own certificates, from the same store or
# offline, counted m-of-n, never by the one who asked, in time, and bound to exactly the change.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    # Everyone here works as one account, as on a shared admin host: requests are signed with the
    # asker's certificate, which the board lists, so people are told apart by certificate.
    $script:alice = New-TestCertificate -Subject 'CN=Alice Operator, O=AuditGuard tests'
    $script:erin = New-TestCertificate -Subject 'CN=Erin Approver, O=AuditGuard tests'
    $script:frank = New-TestCertificate -Subject 'CN=Frank Approver, O=AuditGuard tests'
    $script:outsider = New-TestCertificate -Subject 'CN=Erin Approver, O=AuditGuard tests'

    function Set-TestPolicy([int] $Approvals = 2, [string] $Expiry = '1.00:00:00', [bool] $Signed = $true, [string] $Extra = '') {
        $path = Join-Path $TestDrive "policy-$([guid]::NewGuid()).psd1"
        Set-Content -LiteralPath $path -Value @"
@{
    Version        = 1
    ApproverGroups = @{ Board = @('Thumbprint:$($erin.Thumbprint)', 'Thumbprint:$($frank.Thumbprint)', 'Thumbprint:$($alice.Thumbprint)', 'CORP\nobody') }
    Rules          = @(
        @{ Id = 'board'; Effect = 'RequireApproval'; Approvals = $Approvals; ApproverGroup = 'Board'; ApprovalExpiry = '$Expiry'; RequireSignedApproval = `$$Signed $Extra }
    )
}
"@
        Set-GuardPolicy -Path $path
    }

    function New-PendingWrite([string] $Value = 'new', [hashtable] $More = @{ Certificate = $alice }) {
        $target = Join-Path $TestDrive "target-$([guid]::NewGuid()).txt"
        Set-Content -LiteralPath $target -Value 'old' -NoNewline
        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = $Value } -Reason 'CHG-9 change' @More -ErrorAction SilentlyContinue
        $operation.State | Should -Be 'PendingApproval'
        [pscustomobject]@{ Id = $operation.OperationId; Target = $target }
    }
}

Describe 'Approve-Operation, Deny-Operation and Resume-Operation' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "approvals-$([guid]::NewGuid()).db") }

    It 'needs m distinct signed approvals, then runs the change from its recorded intent' {
        Set-TestPolicy -Approvals 2
        $write = New-PendingWrite

        $first = Approve-Operation -OperationId $write.Id -Reason 'diff reviewed' -Certificate $erin
        { Approve-Operation -OperationId $write.Id -Reason 'again' -Certificate $erin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationApprovalDuplicate,AuditGuard.Cmdlets.ApproveOperationCommand'
        $second = Get-Operation -OperationId $write.Id | Approve-Operation -Reason 'diff reviewed' -Certificate $frank
        Get-Content -Raw $write.Target | Should -Be 'old'
        $done = Resume-Operation -OperationId $write.Id

        $first.State | Should -Be 'PendingApproval'
        $first.ApprovalStatus | Should -BeLike '1 of 2 signed approval(s)*'
        $second.State | Should -Be 'Approved'
        $done.State | Should -Be 'Closed'
        Get-Content -Raw $write.Target | Should -Be 'new'
        $done.Approvals.Assurance | Should -Be @('Certificate', 'Certificate')
        $done.Approvals.Thumbprint | Should -Be @($erin.Thumbprint, $frank.Thumbprint)
        $done.Approvals.Valid | Should -Be @($true, $true)
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'refuses the requester''s own unsigned approval, an unsigned one where signed ones are required, and a certificate outside the group' {
        Set-TestPolicy -Approvals 1 -Signed $false
        $write = New-PendingWrite -More @{}
        # Unsigned, the request is known by its account alone: even a listed certificate run as that account is the asker's.
        { Approve-Operation -OperationId $write.Id -Reason 'mine, signed' -Certificate $erin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationSelfApproval,AuditGuard.Cmdlets.ApproveOperationCommand'
        { Approve-Operation -OperationId $write.Id -Reason 'mine' -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationSelfApproval,AuditGuard.Cmdlets.ApproveOperationCommand'

        Set-TestPolicy -Approvals 1 -Signed $true
        $signed = New-PendingWrite
        { Approve-Operation -OperationId $signed.Id -Reason 'unsigned' -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationSignedApprovalRequired,AuditGuard.Cmdlets.ApproveOperationCommand'
        # Same subject as a member, another key: certificates are named by thumbprint.
        { Approve-Operation -OperationId $signed.Id -Reason 'lookalike' -Certificate $outsider -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationApproverNotInGroup,AuditGuard.Cmdlets.ApproveOperationCommand'

        (Get-Operation -OperationId $signed.Id).Approvals | Should -BeNullOrEmpty
    }

    It 'refuses a requester who signed the request with a certificate from approving it with that certificate' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite -More @{ Certificate = $erin }

        { Approve-Operation -OperationId $write.Id -Reason 'my own' -Certificate $erin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationSelfApproval,AuditGuard.Cmdlets.ApproveOperationCommand'

        $operation = Get-Operation -OperationId $write.Id
        $operation.ActorThumbprint | Should -Be $erin.Thumbprint
        $operation.Approvals | Should -BeNullOrEmpty
        (Approve-Operation -OperationId $write.Id -Reason 'not mine' -Certificate $frank).State | Should -Be 'Approved'
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'ends the operation Denied when an approver denies it, and it never runs' {
        Set-TestPolicy -Approvals 2
        $write = New-PendingWrite
        Approve-Operation -OperationId $write.Id -Reason 'fine by me' -Certificate $erin | Out-Null

        $denied = Deny-Operation -OperationId $write.Id -Reason 'not during the freeze' -Certificate $frank

        $denied.State | Should -Be 'Denied'
        { Resume-Operation -OperationId $write.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationNotPendingApproval,AuditGuard.Cmdlets.ResumeOperationCommand'
        Get-Content -Raw $write.Target | Should -Be 'old'
    }

    It 'records ApprovalExpired when the quorum is not reached in time' {
        Set-TestPolicy -Approvals 2 -Expiry '00:00:05'
        $write = New-PendingWrite
        Approve-Operation -OperationId $write.Id -Reason 'first' -Certificate $erin | Out-Null
        Start-Sleep -Seconds 6

        { Approve-Operation -OperationId $write.Id -Reason 'too late' -Certificate $frank -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationApprovalExpired,AuditGuard.Cmdlets.ApproveOperationCommand'

        (Get-Operation -OperationId $write.Id).State | Should -Be 'ApprovalExpired'
        Get-Content -Raw $write.Target | Should -Be 'old'
    }

    It 'runs with approvals recorded by another process before it started: they live in the ledger' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        $pfx = Join-Path $TestDrive 'erin.pfx'
        [IO.File]::WriteAllBytes($pfx, $erin.Export('Pfx', 'lab-pass'))

        $other = Invoke-FreshPwsh -ImportModule -Script @"
Connect-AuditStore -Path '$((Get-AuditStore).Path)'
(Approve-Operation -OperationId '$($write.Id)' -Reason 'approved elsewhere' -CertificatePath '$pfx' -CertificatePassword (ConvertTo-SecureString 'lab-pass' -AsPlainText -Force)).State
"@
        $other.ExitCode | Should -Be 0 -Because $other.Error
        $other.Output[-1] | Should -Be 'Approved'
        Disconnect-AuditStore
        Connect-AuditStore -Path (Join-Path $TestDrive 'elsewhere.db')

        (Resume-Operation -OperationId $write.Id -Store ((Get-ChildItem $TestDrive -Filter 'approvals-*.db' | Sort-Object LastWriteTime)[-1].FullName)).State | Should -Be 'Closed'
    }

    It 'refuses to run after a stricter policy is set, until its approvals meet it' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        Approve-Operation -OperationId $write.Id -Reason 'ok' -Certificate $erin | Out-Null
        Set-TestPolicy -Approvals 2

        { Resume-Operation -OperationId $write.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationNotApproved,AuditGuard.Cmdlets.ResumeOperationCommand'
        Approve-Operation -OperationId $write.Id -Reason 'ok too' -Certificate $frank | Out-Null

        (Resume-Operation -OperationId $write.Id).State | Should -Be 'Closed'
    }

    It 'refuses to run once the policy denies it' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        Approve-Operation -OperationId $write.Id -Reason 'ok' -Certificate $erin | Out-Null
        $freeze = Join-Path $TestDrive 'freeze.psd1'
        Set-Content -LiteralPath $freeze -Value "@{ Version = 1; Rules = @( @{ Id = 'freeze'; Effect = 'Deny' } ) }"
        Set-GuardPolicy -Path $freeze

        { Resume-Operation -OperationId $write.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationPolicyDenied,AuditGuard.Cmdlets.ResumeOperationCommand'
        Get-Content -Raw $write.Target | Should -Be 'old'
    }

    It 'refuses to run when the target drifted since planning, and shows the difference' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        Approve-Operation -OperationId $write.Id -Reason 'ok' -Certificate $erin | Out-Null
        Set-Content -LiteralPath $write.Target -Value 'changed by hand' -NoNewline

        { Resume-Operation -OperationId $write.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationTargetDrifted,AuditGuard.Cmdlets.ResumeOperationCommand'
        $Error[0].Exception.Message | Should -BeLike '*when the operation was planned it was*'
        Get-Content -Raw $write.Target | Should -Be 'changed by hand'
    }

    It 'takes secret values again, never prompts for them, and refuses another value than the one approved' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite -Value 'token-123456' -More @{ SecretParameter = 'Value'; Certificate = $alice }
        Approve-Operation -OperationId $write.Id -Reason 'ok' -Certificate $erin | Out-Null

        { Resume-Operation -OperationId $write.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationSecretRequired,AuditGuard.Cmdlets.ResumeOperationCommand'
        { Resume-Operation -OperationId $write.Id -Parameters @{ Value = 'token-999999' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationIntentChanged,AuditGuard.Cmdlets.ResumeOperationCommand'
        Get-Content -Raw $write.Target | Should -Be 'old'

        (Resume-Operation -OperationId $write.Id -Parameters @{ Value = 'token-123456' }).State | Should -Be 'Closed'
        Get-Content -Raw $write.Target | Should -Be 'token-123456'
    }

    It 'voids the approvals when what the operation does changes: its target now resolves elsewhere' {
        Set-TestPolicy -Approvals 1
        $approved = Join-Path $TestDrive "approved-$([guid]::NewGuid()).txt"
        $other = Join-Path $TestDrive "other-$([guid]::NewGuid()).txt"
        Set-Content -LiteralPath $approved -Value 'old' -NoNewline
        Set-Content -LiteralPath $other -Value 'old' -NoNewline
        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $approved -Parameters @{ Value = 'new' } -Reason 'one file' -Certificate $alice -ErrorAction SilentlyContinue
        Approve-Operation -OperationId $operation.OperationId -Reason 'ok' -Certificate $erin | Out-Null
        # The approved path is now a link to another file: writing it would change what was not approved.
        Remove-Item -LiteralPath $approved
        New-Item -ItemType SymbolicLink -Path $approved -Target $other | Out-Null

        { Resume-Operation -OperationId $operation.OperationId -ErrorAction Stop } | Should -Throw -ErrorId 'OperationIntentChanged,AuditGuard.Cmdlets.ResumeOperationCommand'
        $Error[0].Exception.Message | Should -BeLike '*target now resolves to*'
        Get-Content -Raw $other | Should -Be 'old'
    }

    It 'runs a recorded script block again, from its text' {
        Set-TestPolicy -Approvals 1
        $marker = Join-Path $TestDrive "script-$([guid]::NewGuid()).txt"
        $operation = Invoke-GuardedWrite -Connector Script -Target 'app/cache' -Reason 'flush' -Parameters @{ Path = $marker } `
            -ScriptBlock { param($Path) Set-Content -LiteralPath $Path -Value 'flushed' } -Certificate $alice -ErrorAction SilentlyContinue
        Approve-Operation -OperationId $operation.OperationId -Reason 'ok' -Certificate $erin | Out-Null

        $done = Resume-Operation -OperationId $operation.OperationId -WarningVariable warned -WarningAction SilentlyContinue

        $done.State | Should -Be 'Closed'
        Get-Content -LiteralPath $marker | Should -Be 'flushed'
        "$warned" | Should -BeLike '*recorded script text*'
    }
}

Describe 'Approvals that travel: Export-OperationRequest, Approve-Operation -RequestPath, Import-OperationApproval' {
    BeforeEach { Connect-AuditStore -Path (Join-Path $TestDrive "offline-$([guid]::NewGuid()).db") }

    It 'signs a request on the approver''s machine without any store, and imports it with every check' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        $request = Join-Path $TestDrive "request-$([guid]::NewGuid()).json"
        $approval = Join-Path $TestDrive "approval-$([guid]::NewGuid()).json"
        $pfx = Join-Path $TestDrive 'frank.pfx'
        [IO.File]::WriteAllBytes($pfx, $frank.Export('Pfx', 'lab-pass'))

        Export-OperationRequest -OperationId $write.Id -Path $request | Out-Null
        $signer = Invoke-FreshPwsh -ImportModule -Script @"
`$file = Approve-Operation -RequestPath '$request' -OutFile '$approval' -Reason 'checked the request offline' -CertificatePath '$pfx' -CertificatePassword (ConvertTo-SecureString 'lab-pass' -AsPlainText -Force)
`$file.Name
"@
        $signer.ExitCode | Should -Be 0 -Because $signer.Error
        $imported = Import-OperationApproval -Path $approval

        $imported.State | Should -Be 'Approved'
        $imported.Approvals[0].Offline | Should -BeTrue
        $imported.Approvals[0].Thumbprint | Should -Be $frank.Thumbprint
        (Resume-Operation -OperationId $write.Id).State | Should -Be 'Closed'
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'refuses a tampered approval file and one made for another operation, recording nothing' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        $otherWrite = New-PendingWrite -Value 'other'
        $request = Join-Path $TestDrive "request-$([guid]::NewGuid()).json"
        $approval = Join-Path $TestDrive "approval-$([guid]::NewGuid()).json"
        Export-OperationRequest -OperationId $otherWrite.Id -Path $request | Out-Null
        Approve-Operation -RequestPath $request -OutFile $approval -Reason 'offline' -Certificate $erin | Out-Null
        $count = (Get-AuditStore).RecordCount

        $json = Get-Content -Raw $approval | ConvertFrom-Json
        $json.statement.operationId = "$($write.Id)"
        $tampered = Join-Path $TestDrive "tampered-$([guid]::NewGuid()).json"
        $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $tampered
        { Import-OperationApproval -Path $tampered -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationApprovalFileInvalid,AuditGuard.Cmdlets.ImportOperationApprovalCommand'

        $foreignStore = Join-Path $TestDrive "foreign-$([guid]::NewGuid()).db"
        { Import-OperationApproval -Path $approval -Store (Connect-AuditStore -Path $foreignStore -PassThru).Path -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationNotFound,AuditGuard.Cmdlets.ImportOperationApprovalCommand'

        (Get-AuditStore -Store ((Get-ChildItem $TestDrive -Filter 'offline-*.db' | Sort-Object LastWriteTime)[-1].FullName)).RecordCount | Should -Be $count
    }

    It 'refuses a request file whose shown intent is not the one its hash names, before signing' {
        Set-TestPolicy -Approvals 1
        $write = New-PendingWrite
        $request = Join-Path $TestDrive "request-$([guid]::NewGuid()).json"
        Export-OperationRequest -OperationId $write.Id -Path $request | Out-Null
        $json = Get-Content -Raw $request | ConvertFrom-Json
        $json.intent.target = '/srv/harmless.txt'
        $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $request

        { Approve-Operation -RequestPath $request -OutFile (Join-Path $TestDrive 'never.json') -Reason 'x' -Certificate $erin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationRequestFileInvalid,AuditGuard.Cmdlets.ApproveOperationCommand'
        Join-Path $TestDrive 'never.json' | Should -Not -Exist
    }
}

Describe 'Break-glass review' {
    BeforeAll { Connect-AuditStore -Path (Join-Path $TestDrive 'glass.db') }

    It 'lists a break-glass write past its review deadline until a member reviews it' {
        Set-TestPolicy -Approvals 2 -Extra "; AllowBreakGlass = `$true; ReviewWithin = '00:00:01'"
        $target = Join-Path $TestDrive 'glass.txt'
        Set-Content -LiteralPath $target -Value 'old' -NoNewline
        $operation = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $target -Parameters @{ Value = 'new' } -Reason 'INC-1 outage' -BreakGlass -Certificate $alice
        Start-Sleep -Seconds 2

        $overdue = Get-Operation -ReviewOverdue
        $reviewed = Approve-Operation -OperationId $operation.OperationId -Review -Reason 'the outage fix was right' -Certificate $erin

        $overdue.OperationId | Should -Be $operation.OperationId
        $overdue.ReviewOverdue | Should -BeTrue
        $reviewed.ReviewedBy | Should -BeLike "*Erin Approver*"
        $reviewed.ReviewOverdue | Should -BeFalse
        Get-Operation -ReviewOverdue | Should -BeNullOrEmpty
        { Approve-Operation -OperationId $operation.OperationId -Review -Reason 'again' -Certificate $frank -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationAlreadyReviewed,AuditGuard.Cmdlets.ApproveOperationCommand'
    }
}

Describe 'Test-AuditChain and approvals' {
    BeforeAll {
        $script:path = Join-Path $TestDrive 'forged.db'
        Connect-AuditStore -Path $path

        # What a holder of the store's key (a member of a group store) can do without any approver's
        # key: append, through the engine itself, a copy of one operation's signed approval onto another.
        function Copy-ApprovalOnto([long] $Sequence, [guid] $OperationId) {
            $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AuditGuard.Engine' } | Select-Object -First 1
            function T([string] $Name) { $engine.GetType("AuditGuard.Engine.$Name", $true) }
            $options = [Activator]::CreateInstance((T 'Ledger.LedgerOpenOptions'))
            $options.GetType().GetProperty('KeyFiles').SetValue($options, (T 'Signing.LocalKeyFiles')::Beside($path))
            $projections = [Array]::CreateInstance((T 'Ledger.IProjection'), 1)
            $projections[0] = [Activator]::CreateInstance((T 'Operations.OperationsProjection'))
            $options.GetType().GetProperty('Projections').SetValue($options, $projections)
            $ledger = (T 'Ledger.AuditLedger')::Open((T 'Storage.Sqlite.SqliteRecordStore')::Open($path, $null), $options)
            try {
                $filter = [Activator]::CreateInstance((T 'Storage.RecordFilter'))
                $filter.GetType().GetProperty('Sequences').SetValue($filter, [System.Collections.Generic.List[long]]@($Sequence))
                $codec = T 'Operations.Records.OperationRecordCodec'
                $record = $codec::Decode(@($ledger.ReadRecords($filter))[0])
                $copy = $record.GetType().GetMethod('<Clone>$').Invoke($record, @())
                $copy.GetType().GetProperty('OperationId').SetValue($copy, $OperationId)
                $copy.GetType().GetProperty('Transitions').SetValue($copy, [Array]::CreateInstance((T 'Operations.OperationState'), 0))
                $ledger.Append($codec::Encode($copy, [System.Collections.Generic.List[byte[]]]::new())) | Out-Null
            }
            finally { $ledger.Dispose() }
        }
    }

    It 'reports an approval copied onto another operation as an error verdict, and it counts for nothing' {
        Set-TestPolicy -Approvals 1
        $approved = New-PendingWrite
        $other = New-PendingWrite -Value 'other'
        $approval = Approve-Operation -OperationId $approved.Id -Reason 'ok' -Certificate $erin
        (Test-AuditChain).IsValid | Should -BeTrue
        Disconnect-AuditStore

        Copy-ApprovalOnto -Sequence $approval.Approvals[0].Sequence -OperationId $other.Id
        Connect-AuditStore -Path $path
        $result = Test-AuditChain

        $result.IsValid | Should -BeFalse
        $verdict = $result.Verdicts | Where-Object Kind -eq 'ApprovalInvalid'
        $verdict.Message | Should -BeLike "*made for operation $($approved.Id)*"
        (Get-Operation -OperationId $other.Id).Approvals[0].Valid | Should -BeFalse
        { Resume-Operation -OperationId $other.Id -ErrorAction Stop } | Should -Throw -ErrorId 'OperationNotApproved,AuditGuard.Cmdlets.ResumeOperationCommand'
        Get-Content -Raw $other.Target | Should -Be 'old'
    }
}
