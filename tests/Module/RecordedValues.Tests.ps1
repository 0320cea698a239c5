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
class NoisyAddress : System.Net.IPAddress { NoisyAddress() : base([long]0) {} [string] ToString() { Set-Content -Path ./tostring-ran.txt -Value 'ran'; return '7.7.7.7' } }
class NoisyVariable : System.Management.Automation.PSVariable {
    NoisyVariable() : base('v') {}
    [object] get_Value() { Set-Content -Path ./tostring-ran.txt -Value 'ran'; return 'chosen' }
}
$holder = [pscustomobject]@{}
$holder.PSObject.Properties.Add([System.Management.Automation.PSVariableProperty]::new([NoisyVariable]::new()))
$dryRun = Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Thing, $Address, $Holder) } -Parameters @{ Thing = [Noisy]::new(); Address = [NoisyAddress]::new(); Holder = $holder } -Reason r -WhatIf 6>$null
($dryRun.Parameters.Thing | ConvertTo-Json -Compress)
($dryRun.Parameters.Address | ConvertTo-Json -Compress)
($dryRun.Parameters.Holder | ConvertTo-Json -Compress)
Test-Path ./tostring-ran.txt
'@
        $case.Output | Where-Object { $_ -notlike 'What if:*' } | Should -Be @('{"object":"Noisy"}', '{"object":"NoisyAddress"}', '{"v":{"object":"PSVariableProperty"}}', 'False')
    }

    It 'never enumerates a collection of the caller''s, bare or inside a framework wrapper, and refuses one as -Parameters itself' {
        $case = Invoke-InStore @'
Add-Type -TypeDefinition @"
public sealed class NoisyList : System.Collections.Generic.List<object>
{
    public new System.Collections.Generic.IEnumerator<object> GetEnumerator() { System.IO.File.WriteAllText("enumerated.txt", "ran"); return base.GetEnumerator(); }
}
public sealed class NoisyItems : System.Collections.ObjectModel.Collection<object>, System.Collections.Generic.IList<object>
{
    System.Collections.Generic.IEnumerator<object> System.Collections.Generic.IEnumerable<object>.GetEnumerator() { System.IO.File.WriteAllText("enumerated.txt", "ran"); return base.GetEnumerator(); }
}
public sealed class NoisyTable : System.Collections.Hashtable
{
    public override System.Collections.IDictionaryEnumerator GetEnumerator() { System.IO.File.WriteAllText("enumerated.txt", "ran"); return base.GetEnumerator(); }
}
"@
$items = [NoisyItems]::new(); $items.Add('secret-ish')
$wrapped = [System.Collections.ObjectModel.ReadOnlyCollection[object]]::new([System.Collections.Generic.IList[object]] $items)
$dryRun = Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Items, $Wrapped) } -Parameters @{ Items = $items; Wrapped = $wrapped } -Reason r -WhatIf 6>$null
($dryRun.Parameters | ConvertTo-Json -Compress)
$table = [NoisyTable]::new(); $table['Value'] = 1
try { Invoke-GuardedWrite -Connector Script -Target t -ScriptBlock { param($Value) } -Parameters $table -Reason r -WhatIf 6>$null } catch { $_.FullyQualifiedErrorId }
Test-Path ./enumerated.txt
'@
        $output = @($case.Output | Where-Object { $_ -notlike 'What if:*' })
        $output[0] | Should -BeLike '{"Items":{"object":"NoisyItems"},"Wrapped":{"object":"System.Collections.ObjectModel.ReadOnlyCollection``1`[`[System.Object,*"}}'
        $output[1..2] | Should -Be @('OperationParametersNotPlain,AuditGuard.Cmdlets.InvokeGuardedWriteCommand', 'False')
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
$file = Invoke-GuardedWrite -Connector FileSystem -Target ./f1.txt -Action NewItem -Parameters @{ ItemType = 'File'; Value = 'base64-Secret-11' } -SecretParameter Value -Reason r
'file:' + $file.State + ':' + ((Get-AuditRecord -Sequence $file.Records[-1]).Body -match '"payloadWithheld":true')
Invoke-GuardedWrite -Connector Script -Target 'deploy-target-Secret-12' -ScriptBlock { param($Password) } -Parameters @{ Password = 'target-Secret-12' } -Reason r | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { param($AdminPw) 'script-Secret-13' | Out-Null } -Parameters @{ AdminPw = 'script-Secret-13' } -Reason r | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { param($Password, $Map) } -Parameters @{ Password = 'key-Secret-14'; Map = @{ 'key-Secret-14' = 'x' } } -Reason r | Out-Null
Invoke-GuardedWrite -Connector Script -Target 'x' -ScriptBlock { param($Token) throw "upper $($Token.ToUpper())" } -Parameters @{ Token = 'case-secret-15' } -Reason r -ErrorAction SilentlyContinue | Out-Null
'recorded'
'@
        $case.Output | Should -Contain 'recorded' -Because 'every request above must have run'
        $script:text = Get-StoreText $case.Store
    }

    It 'never reach the store in clear: <_>' -ForEach @(
        'cred-Secret-1', 'conn-Secret-2', 'auth-Secret-3', '4711-pin', 'cyrillic-Secret-4', 'list-Secret-5', 'tok-Secret-6',
        'echo-Secret-7', 'cookie-Secret-9', 'file-Secret-10', 'base64-Secret-11', 'target-Secret-12', 'script-Secret-13', 'key-Secret-14',
        'CASE-SECRET-15') {
        $text | Should -Not -Match ([regex]::Escape($_))
        $bytes = [Text.Encoding]::UTF8.GetBytes($_)
        $text | Should -Not -Match (-join ($bytes | ForEach-Object { $_.ToString('X2') }))
        # Content kept as base64 (a file's snapshot), at each of the three alignments base64 has.
        $blobText = -join ((sqlite3 $case.Store 'SELECT hex(bytes) FROM blobs;') | ForEach-Object { $hex = $_; [Text.Encoding]::UTF8.GetString([Convert]::FromHexString($hex)) })
        foreach ($offset in 0..2) {
            $encoded = [Convert]::ToBase64String([byte[]]@(,0 * $offset) + $bytes)
            # Only the characters made of the secret's bits alone.
            $start = [math]::Ceiling($offset * 4 / 3)
            $length = [math]::Min(12, [math]::Floor(8 * ($offset + $bytes.Length) / 6) - $start)
            $blobText | Should -Not -Match ([regex]::Escape($encoded.Substring($start, $length)))
        }
    }

    It 'keep no snapshot of a target the request writes a secret into' {
        $case.Output | Should -Contain 'file:Closed:True'
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
