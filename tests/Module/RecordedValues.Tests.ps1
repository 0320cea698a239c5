# What a guarded write records of the values it is given: exact, bounded, and never a secret in clear.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force

    # Runs a script against a fresh store in its own folder; the output lines are the script's.
    function Invoke-InStore([string] $Script) {
        $folder = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $result = Invoke-FreshPwsh -ImportModule -WorkingDirectory $folder -Script "Connect-AuditStore -Path ./audit.db`n$Script"
        $result.ExitCode | Should -Be 0 -Because $result.Error
        [pscustomobject]@{ Folder = $folder; Store = Join-Path $folder 'audit.db'; Output = $result.Output }
    }

    # Everything the store holds, bodies and blobs, as text: where a secret must not be.
    function Get-StoreText([string] $Store) {
        $text = sqlite3 $Store "SELECT body FROM records; SELECT hex(bytes) FROM blobs;"
        if ($LASTEXITCODE -ne 0) { throw "sqlite3 could not read $Store" }
        $text -join "`n"
    }
}

Describe 'Values that have no recordable form' {
    It 'refuses a collection that contains itself with OperationParameterCyclic, under -WhatIf too, recording nothing' {
        $case = Invoke-InStore @'
$settings = @{}; $settings.Self = $settings
$list = [System.Collections.ArrayList]::new(); $null = $list.Add($list)
foreach ($value in $settings, $list) {
    try { Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Value) } -Parameters @{ Value = $value } -Reason r -WhatIf | Out-Null }
    catch { $_.FullyQualifiedErrorId }
}
(Get-AuditStore).RecordCount
'@
        $case.Output | Should -Be @(
            'OperationParameterCyclic,AuditGuard.Cmdlets.InvokeGuardedWriteCommand',
            'OperationParameterCyclic,AuditGuard.Cmdlets.InvokeGuardedWriteCommand',
            '1')
    }

    It 'refuses nesting past the limit and keys that differ only in case, each with its own ErrorId' {
        $case = Invoke-InStore @'
$deep = 'leaf'; 1..40 | ForEach-Object { $deep = @{ Inner = $deep } }
$cased = [hashtable]::new([StringComparer]::Ordinal); $cased['Value'] = 1; $cased['value'] = 2
$generic = [System.Collections.Generic.Dictionary[string, object]]::new(); $generic['a'] = 1
foreach ($parameters in @{ Value = $deep }, $cased) {
    try { Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Value) } -Parameters $parameters -Reason r | Out-Null }
    catch { $_.FullyQualifiedErrorId }
}
(Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Value) } -Parameters @{ Value = $generic } -Reason r).State
'@
        $case.Output | Should -Be @(
            'OperationParameterTooDeep,AuditGuard.Cmdlets.InvokeGuardedWriteCommand',
            'OperationParameterKeyDuplicate,AuditGuard.Cmdlets.InvokeGuardedWriteCommand',
            'Closed')
    }

    It 'never runs a parameter object''s own code, in a dry run or a real one' {
        $case = Invoke-InStore @'
class Noisy { [string] ToString() { Set-Content -Path ./tostring-ran.txt -Value 'ran'; return 'noisy' } }
$dryRun = Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Thing) } -Parameters @{ Thing = [Noisy]::new() } -Reason r -WhatIf 6>$null
($dryRun.Parameters.Thing | ConvertTo-Json -Compress)
Test-Path ./tostring-ran.txt
'@
        $case.Output | Where-Object { $_ -notlike 'What if:*' } | Should -Be @('{"object":"Noisy"}', 'False')
    }
}

Describe 'Values recorded exactly' {
    It 'records a [pscustomobject] by its members, integers beyond 2^53 and decimals as text that says so' {
        $case = Invoke-InStore @'
$operation = Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Thing, $Big, $Price, $Small) } -Reason r -Parameters @{
    Thing = [pscustomobject]@{ name = 'web01'; port = 443 }
    Big = 9007199254740993
    Price = 0.1000000000000000000000000001d
    Small = 42
}
(Get-AuditRecord -Sequence $operation.Records[0]).Body | ConvertFrom-Json -AsHashtable | ForEach-Object { $_.intent.parameters | ConvertTo-Json -Compress -Depth 5 }
'@
        $case.Output | Should -Be '{"Big":{"integer":"9007199254740993"},"Price":{"nonInteger":"0.1000000000000000000000000001"},"Small":42,"Thing":{"name":"web01","port":443}}'
    }

    It 'writes a JsonFile number exactly and verifies it against the exact value' {
        $case = Invoke-InStore @'
'{"limit":1}' | Set-Content -Path ./settings.json -NoNewline
$big = Invoke-GuardedWrite -Connector JsonFile -Target './settings.json#/limit' -Action Set -Parameters @{ Value = 9007199254740993 } -Reason r
$exact = Invoke-GuardedWrite -Connector JsonFile -Target './settings.json#/price' -Action Set -Parameters @{ Value = 0.1000000000000000000000000001d } -Reason r
$big.State; $exact.State
Get-Content -Raw ./settings.json
$exact.Preview.Diff -split "`n" | Where-Object { $_ -like '+0*' }
'@
        $case.Output | Should -Be @('Closed', 'Closed', '{"limit":9007199254740993,"price":0.1000000000000000000000000001}', '+0.1000000000000000000000000001')
    }
}

Describe 'Secrets' {
    BeforeAll {
        $script:case = Invoke-InStore @'
$credential = [pscredential]::new('svc', (ConvertTo-SecureString 'cred-Secret-1' -AsPlainText -Force))
$ok = @{
    connectionString = 'Server=db;Password=conn-Secret-2'
    Authorization    = 'Bearer auth-Secret-3'
    PIN              = '4711-pin'
    'раssword'       = 'cyrillic-Secret-4'
    Credential       = $credential
    Items            = [System.Collections.ArrayList]@([pscustomobject]@{ password = 'list-Secret-5' })
    Note             = 'the token was tok-Secret-6 yesterday'
    Token            = 'tok-Secret-6'
}
Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($connectionString, $Authorization, $PIN, $раssword, $Credential, $Items, $Note, $Token) } -Parameters $ok -Reason r | Out-Null
Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($ApiToken) throw "could not log in with $ApiToken" } -Parameters @{ ApiToken = 'echo-Secret-7' } -Reason r -ErrorAction SilentlyContinue | Out-Null
$refused = Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Value) } -Parameters @{ Value = 'plain'; Cookie = 'cookie-Secret-9' } -Reason r -ErrorAction SilentlyContinue
'refused:' + $refused.State
'{"db":{"user":"app"}}' | Set-Content -Path ./app.json -NoNewline
$json = Invoke-GuardedWrite -Connector JsonFile -Target './app.json#/db/password' -Action Set -Parameters @{ Value = 'file-Secret-10' } -SecretParameter Value -Reason r
'json:' + $json.State
'diff:' + ($json.Preview.Diff -match 'file-Secret-10')
'@
        $script:text = Get-StoreText $case.Store
    }

    It 'never reach the store in clear: <_>' -ForEach @(
        'cred-Secret-1', 'conn-Secret-2', 'auth-Secret-3', '4711-pin', 'cyrillic-Secret-4', 'list-Secret-5', 'tok-Secret-6',
        'echo-Secret-7', 'cookie-Secret-9', 'file-Secret-10') {
        $text | Should -Not -Match ([regex]::Escape($_))
        $hex = -join ([Text.Encoding]::UTF8.GetBytes($_) | ForEach-Object { $_.ToString('X2') })
        $text | Should -Not -Match $hex
    }

    It 'of a refused request are hashed like any other' {
        $case.Output | Should -Contain 'refused:ValidationFailed'
    }

    It 'are scrubbed from the other texts an operation records' {
        $text | Should -Match ([regex]::Escape('the token was [secret] yesterday'))
        $text | Should -Match ([regex]::Escape('could not log in with [secret]'))
    }

    It 'marked with -SecretParameter are hashed, and the diff that would show them is scrubbed' {
        $case.Output | Should -Contain 'json:Closed'
        $case.Output | Should -Contain 'diff:False'
        Get-Content -Raw (Join-Path $case.Folder 'app.json') | Should -Match 'file-Secret-10'
    }
}

Describe 'Record size' {
    It 'keeps long values and diffs out of the signed body, in blobs bound by digest' {
        $case = Invoke-InStore @'
$long = 'x' * 5000
$operation = Invoke-GuardedWrite -Connector FileSystem -Target ./big.txt -Action SetContent -Parameters @{ Value = $long } -Reason r
$body = (Get-AuditRecord -Sequence $operation.Records[0]).Body
$body.Length -lt 3000
$parsed = $body | ConvertFrom-Json
$parsed.intent.parameters.Value.blob -in $parsed.blobs
$parsed.preview.diffDigest -in $parsed.blobs
$operation.Preview.Diff.Length -gt 5000
'@
        $case.Output | Should -Be @('True', 'True', 'True', 'True')
    }
}
