# How AuditGuard reads to the person using it: ids that can be typed back, previews that show the
# change, confirmation by risk, tables that fit 80 columns, filters that work as people type them.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    function Invoke-InStore([string] $Script) {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $result = Invoke-FreshPwsh -ImportModule -WorkingDirectory $folder -Script "Connect-AuditStore -Path ./audit.db`n$Script"
        $result.ExitCode | Should -Be 0 -Because $result.Error
        [pscustomobject]@{ Folder = $folder; Output = $result.Output }
    }
}

Describe 'Operation ids' {
    BeforeAll {
        $script:case = Invoke-InStore @'
$first = Invoke-GuardedWrite -Connector Script -Target 'cache/a' -ScriptBlock { } -Reason 'one'
$second = Invoke-GuardedWrite -Connector Script -Target 'cache/b' -ScriptBlock { } -Reason 'two'
'same-start:' + ($first.OperationId.ToString().Substring(0, 8) -eq $second.OperationId.ToString().Substring(0, 8))
'short:' + ($first.ShortId -ne $second.ShortId) + ':' + $first.ShortId.Length
'by-short:' + (Get-Operation -OperationId $second.ShortId).Reason
'by-start:' + (Get-Operation -OperationId $first.OperationId.ToString().Substring(0, 13)).Count
try { Get-Operation -OperationId $first.OperationId.ToString().Substring(0, 4) -ErrorAction Stop | Out-Null } catch { 'ambiguous:' + $_.FullyQualifiedErrorId }
try { Get-Operation -OperationId 'zz' -ErrorAction Stop | Out-Null } catch { 'invalid:' + $_.FullyQualifiedErrorId }
'records:' + @(Get-AuditRecord -OperationId $second.ShortId).Count
$completed = (TabExpansion2 -inputScript "Get-Operation -OperationId $($second.ShortId.Substring(0, 5))" -cursorColumn 32).CompletionMatches
'completed:' + ($completed.CompletionText -join ',') + ':' + $second.OperationId
'@
    }

    It 'shows digits that tell operations made in the same minute apart' {
        $case.Output | Should -Contain 'same-start:True'
        $case.Output | Should -Contain 'short:True:8'
    }

    It 'takes those digits, or the start of the id, back, and says when they fit none or several' {
        $case.Output | Should -Contain 'by-short:two'
        $case.Output | Should -Contain 'by-start:1'
        $case.Output | Should -Contain 'ambiguous:OperationIdAmbiguous,AuditGuard.Cmdlets.GetOperationCommand'
        $case.Output | Should -Contain 'invalid:OperationIdInvalid,AuditGuard.Cmdlets.GetOperationCommand'
        $case.Output | Should -Contain 'records:2'
    }

    It 'completes from the connected store' {
        $line = $case.Output | Where-Object { $_ -like 'completed:*' }
        $parts = $line -split ':'
        $parts[1] | Should -Be $parts[2]
    }
}

Describe 'Completing a correlation id' {
    It 'quotes anything but a plain token, so a recorded id never completes into code' {
        $case = Invoke-InStore @'
Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'r' -CorrelationId 'CHG-1;New-Item ./planted' | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'r' -CorrelationId 'CHG-2' | Out-Null
(TabExpansion2 -inputScript 'Get-Operation -CorrelationId CHG' -cursorColumn 32).CompletionMatches.CompletionText | Sort-Object
'@
        $case.Output | Should -Be @("'CHG-1;New-Item ./planted'", 'CHG-2')
    }
}

Describe 'Filters as people type them' {
    It 'matches a correlation id in any case, a relative target, and takes -First' {
        $case = Invoke-InStore @'
Set-Content -Path ./web.conf -Value 'a'
Invoke-GuardedWrite -Connector FileSystem -Target ./web.conf -Action SetContent -Parameters @{ Value = 'b' } -Reason 'one' -CorrelationId 'CHG-77' | Out-Null
Invoke-GuardedWrite -Connector FileSystem -Target ./web.conf -Action SetContent -Parameters @{ Value = 'c' } -Reason 'two' -CorrelationId 'CHG-77' | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'web.conf' -ScriptBlock { } -Reason 'a name, not a path' | Out-Null
'ticket:' + @(Get-Operation -CorrelationId 'chg-77').Count
'relative:' + @(Get-Operation -Target ./web.conf).Count
'as-written:' + @(Get-Operation -Target web.conf).Count
'first:' + (Get-Operation -First 1).Reason
try { Get-Operation -First 1 -Last 1 | Out-Null } catch { 'both:' + $_.FullyQualifiedErrorId }
'@
        $case.Output | Should -Contain 'ticket:2'
        $case.Output | Should -Contain 'relative:2'
        $case.Output | Should -Contain 'as-written:3'
        $case.Output | Should -Contain 'first:one'
        $case.Output | Should -Contain 'both:OperationFilterConflict,AuditGuard.Cmdlets.GetOperationCommand'
    }
}

Describe 'Previews' {
    It 'show the change itself under -WhatIf, or that nothing changes' {
        $case = Invoke-InStore @'
Set-Content -Path ./web.conf -Value "workers=4" -NoNewline
Invoke-GuardedWrite -Connector FileSystem -Target ./web.conf -Action SetContent -Parameters @{ Value = 'workers=8' } -Reason 'raise' -WhatIf | Out-Null
Invoke-GuardedWrite -Connector FileSystem -Target ./web.conf -Action SetContent -Parameters @{ Value = 'workers=4' } -Reason 'same' -WhatIf | Out-Null
'@
        $text = $case.Output -join "`n"
        $text | Should -Match 'What if: FileSystem SetContent on .*web\.conf.*\(risk Medium\)'
        $text | Should -Match '(?m)^-workers=4$'
        $text | Should -Match '(?m)^\+workers=8$'
        $text | Should -Match 'No change to its content'
    }

    It 'expose the recorded parameters and script text on the operation' {
        $case = Invoke-InStore @'
$operation = Invoke-GuardedWrite -Connector Script -Target 'svc/web' -ScriptBlock { param($Name, $Password) "restart $Name" } -Parameters @{ Name = 'web01'; Password = 'p@ss-word' } -Reason 'restart'
'name:' + $operation.Parameters.Name
'password:' + ($null -ne $operation.Parameters.Password.hmacSha256)
'script:' + $operation.ScriptText.Trim()
'again:' + (Get-Operation -OperationId $operation.OperationId).ScriptDigest.Length
'@
        $case.Output | Should -Contain 'name:web01'
        $case.Output | Should -Contain 'password:True'
        $case.Output | Should -Contain 'script:param($Name, $Password) "restart $Name"'
        $case.Output | Should -Contain 'again:64'
    }
}

Describe 'A High or Critical effective risk' {
    It 'stops in a host that cannot ask, recording and changing nothing, and goes ahead with -Confirm:$false' {
        $case = Invoke-InStore @'
Set-Content -Path ./old.log -Value 'keep'
try { Invoke-GuardedWrite -Connector FileSystem -Target ./old.log -Action Remove -Reason 'clean up' | Out-Null; 'asked:no' } catch { 'asked:' + $_.FullyQualifiedErrorId }
'exists:' + (Test-Path ./old.log)
'operations:' + @(Get-Operation).Count
try { Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'raised' -Risk Critical | Out-Null; 'raised:no' } catch { 'raised:' + $_.FullyQualifiedErrorId }
'medium:' + (Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'medium').State
'consented:' + (Invoke-GuardedWrite -Connector FileSystem -Target ./old.log -Action Remove -Reason 'clean up' -Confirm:$false).State
'dry:' + (Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { } -Reason 'rehearse' -Risk High -WhatIf).State
'@
        $case.Output | Should -Contain 'asked:OperationConfirmationRequired,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $case.Output | Should -Contain 'exists:True'
        $case.Output | Should -Contain 'operations:0'
        $case.Output | Should -Contain 'raised:OperationConfirmationRequired,AuditGuard.Cmdlets.InvokeGuardedWriteCommand'
        $case.Output | Should -Contain 'medium:Closed'
        $case.Output | Should -Contain 'consented:Closed'
        $case.Output | Should -Contain 'dry:DryRun'
    }
}

Describe 'Pipeline input' {
    It 'makes one guarded write per object, by property name (a CSV of changes)' {
        $case = Invoke-InStore @'
'Connector,Target,Action,Reason,CorrelationId', 'FileSystem,./a.txt,Remove,retire a,CHG-9', 'FileSystem,./b.txt,Remove,retire b,CHG-9' | Set-Content -Path ./changes.csv
Set-Content ./a.txt 'a'; Set-Content ./b.txt 'b'
Import-Csv ./changes.csv | Invoke-GuardedWrite -Confirm:$false | ForEach-Object { "$($_.State):$($_.Reason):$($_.CorrelationId)" }
'left:' + @(Get-ChildItem -Filter '?.txt').Count
'@
        $case.Output | Should -Be @('Closed:retire a:CHG-9', 'Closed:retire b:CHG-9', 'left:0')
    }
}

Describe 'Verbose output' {
    It 'says what each step of a guarded write did' {
        $case = Invoke-InStore @'
Invoke-GuardedWrite -Connector Script -Target 'svc/web' -ScriptBlock { } -Reason 'verbose' -Verbose 4>&1 |
    Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { 'verbose:' + $_.Message }
'@
        $lines = ($case.Output | Where-Object { $_ -like 'verbose:*' }) -join "`n"
        $lines | Should -Match 'Planned operation .*Script Invoke on .svc/web.*policy Allow'
        $lines | Should -Match 'Recording the intent of operation'
        $lines | Should -Match 'ended Closed; records \d+, \d+'
    }
}

Describe 'Tables at 80 columns' {
    BeforeAll {
        $script:case = Invoke-InStore @'
Set-Content -Path ./a-rather-long-file-name-for-a-configuration.conf -Value 'a'
Invoke-GuardedWrite -Connector FileSystem -Target ./a-rather-long-file-name-for-a-configuration.conf -Action SetContent -Parameters @{ Value = 'b' } -Reason 'CHG-2001 a reason long enough to need wrapping in a narrow table' -CorrelationId 'CHG-2001' | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'svc/web' -ScriptBlock { } -Reason 'short' | Out-Null
foreach ($view in { Get-Operation }, { Get-AuditRecord }, { Get-GuardConnector }, { (Test-AuditChain).Verdicts }) {
    '=== ' + $view
    (& $view | Format-Table | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }
}
'@
    }

    It 'keep every line within 80 columns' {
        $case.Output | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
    }

    It 'print whole headers: <Headers>' -ForEach @(
        @{ Headers = 'Id', 'Time (UTC)', 'State', 'Change', 'Target', 'Reason [correlation]' }
        @{ Headers = 'Sequence', 'Type', 'Operation', 'Hash' }
        @{ Headers = 'Name', 'DryRun', 'Rollback', 'Actions (default risk)' }
        @{ Headers = 'Severity', 'Kind', 'Message' }
    ) {
        $headerLine = $case.Output | Where-Object { $line = $_; @($Headers | Where-Object { $line.Contains($_) }).Count -eq $Headers.Count }
        $headerLine | Should -Not -BeNullOrEmpty -Because "one line holds every header of $($Headers -join ', ')"
    }

    It 'show the reason and the correlation id of an operation' {
        ($case.Output -join ' ') | Should -Match '\[CHG-2001\]'
    }
}
