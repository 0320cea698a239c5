# Shared by the Pester files: where the module under test is, and how to run a fresh pwsh.

$script:ModulePath = $env:AUDITGUARD_MODULE_PATH
if (-not $script:ModulePath) {
    throw 'AUDITGUARD_MODULE_PATH is not set: run the suite through build.ps1 -Task Test (tests/Invoke-ModuleTests.ps1).'
}

# tests/Invoke-ModuleTests.ps1 points the default store and the per-user data folder into a
# throwaway folder; without that a test could write to a real user's store, so refuse to run.
$script:Isolation = $env:AUDITGUARD_TEST_ISOLATION
if (-not $script:Isolation -or -not $env:AUDITGUARD_STORE -or -not $env:AUDITGUARD_STORE.StartsWith($script:Isolation, [StringComparison]::Ordinal) -or
    -not [Environment]::GetFolderPath('LocalApplicationData').StartsWith($script:Isolation, [StringComparison]::Ordinal)) {
    throw 'The default store and the per-user data folder are not isolated: run the suite through build.ps1 -Task Test (tests/Invoke-ModuleTests.ps1).'
}
# What every child process gets unless a test says otherwise, read once so a test that changes
# its own $env: cannot leak a real location into the children started after it.
$script:IsolatedEnvironment = [ordered]@{
    AUDITGUARD_STORE = $env:AUDITGUARD_STORE
    XDG_DATA_HOME    = $env:XDG_DATA_HOME
}
if ($IsWindows) { $script:IsolatedEnvironment.LOCALAPPDATA = $env:LOCALAPPDATA }

function Get-AuditGuardModulePath { $script:ModulePath }

function Get-TestIsolationRoot { $script:Isolation }

function Get-IsolatedEnvironment { [ordered]@{} + $script:IsolatedEnvironment }

function Get-RepositoryRoot { (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path }

function Get-PwshPath { Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh') }

function Start-FreshPwsh {
    # Starts a new pwsh on a script (see Invoke-FreshPwsh); Wait-FreshPwsh collects what it did.
    param(
        [Parameter(Mandatory)] [string] $Script,
        [switch] $ImportModule,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Get-Location).Path
    )
    # Plain text: errors reach the test's messages (and its XML report) without terminal escapes.
    $prologue = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'; `$PSStyle.OutputRendering = 'PlainText'`n"
    if ($ImportModule) { $prologue += "Import-Module '$($script:ModulePath)'`n" }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($prologue + $Script))

    $start = [Diagnostics.ProcessStartInfo]::new((Get-PwshPath))
    foreach ($argument in '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded) { $start.ArgumentList.Add($argument) }
    $start.WorkingDirectory = $WorkingDirectory
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    foreach ($name in $script:IsolatedEnvironment.Keys) { $start.Environment[$name] = $script:IsolatedEnvironment[$name] }
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = $Environment[$name] }

    $process = [Diagnostics.Process]::Start($start)
    [pscustomobject]@{ Process = $process; Output = $process.StandardOutput.ReadToEndAsync(); Error = $process.StandardError.ReadToEndAsync() }
}

function Wait-FreshPwsh {
    param([Parameter(Mandatory)] [pscustomobject] $Started, [int] $TimeoutSeconds = 120)
    $process = $Started.Process
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "The child pwsh did not finish within $TimeoutSeconds s."
    }
    $process.WaitForExit()
    [pscustomobject]@{
        ExitCode = $process.ExitCode
        Output   = @($Started.Output.Result -split "`r?`n" | Where-Object { $_ -ne '' })
        Error    = $Started.Error.Result
    }
}

function Invoke-FreshPwsh {
    <#
    .SYNOPSIS
        Runs a script in a new pwsh process, as a user's new session would, and returns its exit
        code, standard output lines and standard error text. With -ImportModule the script runs
        after Import-Module of the laid-out module. The child gets the isolated default store and
        per-user data folder unless -Environment names its own.
    #>
    param(
        [Parameter(Mandatory)] [string] $Script,
        [switch] $ImportModule,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Get-Location).Path,
        [int] $TimeoutSeconds = 120
    )
    $started = Start-FreshPwsh -Script $Script -ImportModule:$ImportModule -Environment $Environment -WorkingDirectory $WorkingDirectory
    Wait-FreshPwsh -Started $started -TimeoutSeconds $TimeoutSeconds
}

function Invoke-ConcurrentPwsh {
    <#
    .SYNOPSIS
        Runs -Script in -Count fresh pwsh processes at the same moment: each runs -Setup (import,
        connect), says it is ready, and polls a barrier file; only when every one is ready is the
        barrier opened. Each child's output starts with 'started:<ticks>' and ends with
        'finished:<ticks>' (UTC), so a test can prove that the work really overlapped; $Worker
        holds the child's number (1..Count).
    #>
    param(
        [Parameter(Mandatory)] [int] $Count,
        [Parameter(Mandatory)] [string] $Script,
        [string] $Setup = '',
        [Parameter(Mandatory)] [string] $BarrierFolder,
        [int] $TimeoutSeconds = 180
    )
    New-Item -ItemType Directory -Force -Path $BarrierFolder | Out-Null
    $go = Join-Path $BarrierFolder 'go'
    $children = foreach ($worker in 1..$Count) {
        $ready = Join-Path $BarrierFolder "ready-$worker"
        Start-FreshPwsh -ImportModule -Script @"
`$Worker = $worker
$Setup
`$null = New-Item -ItemType File -Path '$ready'
while (-not [IO.File]::Exists('$go')) { [Threading.Thread]::Sleep(2) }
'started:' + [DateTime]::UtcNow.Ticks
$Script
'finished:' + [DateTime]::UtcNow.Ticks
"@
    }
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while (@(Get-ChildItem -Path $BarrierFolder -Filter 'ready-*').Count -lt $Count) {
            $gone = @($children | Where-Object { $_.Process.HasExited })
            if ($gone.Count -gt 0) { throw "A child pwsh exited before the barrier: $($gone[0].Error.Result)" }
            if ([DateTime]::UtcNow -gt $deadline) { throw "The child pwsh processes were not all ready within $TimeoutSeconds s." }
            Start-Sleep -Milliseconds 20
        }
        $null = New-Item -ItemType File -Path $go
        foreach ($child in $children) {
            $result = Wait-FreshPwsh -Started $child -TimeoutSeconds $TimeoutSeconds
            $started = $result.Output | Where-Object { $_ -like 'started:*' } | Select-Object -First 1
            $finished = $result.Output | Where-Object { $_ -like 'finished:*' } | Select-Object -Last 1
            [pscustomobject]@{
                ExitCode = $result.ExitCode
                Output   = @($result.Output | Where-Object { $_ -notlike 'started:*' -and $_ -notlike 'finished:*' })
                Error    = $result.Error
                Started  = $started ? [DateTime]::new([long]($started -replace '^started:'), 'Utc') : $null
                Finished = $finished ? [DateTime]::new([long]($finished -replace '^finished:'), 'Utc') : $null
            }
        }
    }
    finally {
        foreach ($child in $children) { if (-not $child.Process.HasExited) { $child.Process.Kill($true) } }
    }
}

function Get-UnixMode([string] $Path) {
    # The permission bits as octal text, e.g. '600'.
    [Convert]::ToString([int](Get-Item -Force $Path).UnixFileMode, 8)
}

function Test-IsRoot { -not $IsWindows -and (id -u) -eq '0' }

function New-ReadOnlyFolder {
    <#
    .SYNOPSIS
        A folder nobody can write to. Root ignores permission bits, so as root it is a read-only
        tmpfs mount; otherwise a folder without write permission. Undo with Remove-ReadOnlyFolder.
    #>
    param([Parameter(Mandatory)] [string] $Path, [string[]] $Files = @())
    New-Item -ItemType Directory -Force -Path $Path | Out-Null
    if (Test-IsRoot) {
        # Written while the mount is still writable, then made read-only: read-only media with files on it.
        mount -t tmpfs -o 'size=16m,mode=0755' tmpfs $Path
        if ($LASTEXITCODE -ne 0) { throw "Could not mount a tmpfs on $Path." }
        foreach ($file in $Files) { Copy-Item -LiteralPath $file -Destination $Path }
        mount -o remount,ro $Path
        if ($LASTEXITCODE -ne 0) { throw "Could not make the tmpfs on $Path read-only." }
    }
    else {
        foreach ($file in $Files) { Copy-Item -LiteralPath $file -Destination $Path }
        Get-ChildItem -LiteralPath $Path -File | ForEach-Object { chmod 444 $_.FullName }
        chmod 555 $Path
    }
}

function Remove-ReadOnlyFolder([string] $Path) {
    if (Test-IsRoot) { umount $Path } else { chmod 755 $Path }
    Remove-Item -Recurse -Force $Path
}

Export-ModuleMember -Function *

function New-TestCertificate {
    <#
    .SYNOPSIS
        A certificate with its private key, shaped as a test needs: validity window, key usage,
        RSA size, or issued by -Issuer (a certificate with its key) instead of self-signed.
    #>
    param(
        [string] $Subject = 'CN=AuditGuard test signer',
        [datetimeoffset] $NotBefore = [datetimeoffset]::UtcNow.AddMinutes(-5),
        [datetimeoffset] $NotAfter = [datetimeoffset]::UtcNow.AddDays(30),
        [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags] $KeyUsage = 'DigitalSignature',
        [int] $RsaBits,
        [switch] $CertificateAuthority,
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Issuer
    )
    $name = [System.Security.Cryptography.X509Certificates.X500DistinguishedName]::new($Subject)
    $sha256 = [System.Security.Cryptography.HashAlgorithmName]::SHA256
    if ($RsaBits) {
        $key = [System.Security.Cryptography.RSA]::Create($RsaBits)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($name, $key, $sha256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    }
    else {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($name, $key, $sha256)
    }
    $usage = $CertificateAuthority ? ($KeyUsage -bor [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]::KeyCertSign) : $KeyUsage
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new($usage, $true))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new([bool]$CertificateAuthority, $false, 0, $true))
    if (-not $Issuer) { return $request.CreateSelfSigned($NotBefore, $NotAfter) }
    # An issued certificate cannot outlive its issuer.
    if ($NotAfter -gt $Issuer.NotAfter) { $NotAfter = [datetimeoffset]$Issuer.NotAfter }
    $serial = [byte[]]::new(16)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($serial)
    $issued = $request.Create($Issuer, $NotBefore, $NotAfter, $serial)
    if ($RsaBits) { [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($issued, $key) }
    else { [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($issued, $key) }
}

function New-TestConnectorModule {
    <#
    .SYNOPSIS
        Writes a connector module as authors lay one out (Name/Name.psd1 with a nested
        Name.AuditGuardConnector module) under -Root, from the nested module's functions given as
        script text, and returns its folder. -Functions names the functions it exports (all of
        them by default); -NoNested leaves the nested module out.
    #>
    param(
        [Parameter(Mandatory)] [string] $Root,
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $Body,
        [string[]] $Functions,
        [switch] $NoNested
    )
    $folder = Join-Path $Root $Name
    $nested = Join-Path $folder "$Name.AuditGuardConnector"
    New-Item -ItemType Directory -Path $nested -Force | Out-Null
    $nestedList = if ($NoNested) { '@()' } else { "@('$Name.AuditGuardConnector/$Name.AuditGuardConnector.psd1')" }
    Set-Content -LiteralPath (Join-Path $folder "$Name.psd1") -Value "@{ ModuleVersion = '1.2.3'; GUID = '$([guid]::NewGuid())'; NestedModules = $nestedList; FunctionsToExport = @() }"
    $exported = if ($Functions) { $Functions } else { [regex]::Matches($Body, '(?m)^function ([\w-]+)') | ForEach-Object { $_.Groups[1].Value } }
    Set-Content -LiteralPath (Join-Path $nested "$Name.AuditGuardConnector.psm1") -Value ($Body + "`nExport-ModuleMember -Function $($exported -join ', ')")
    Set-Content -LiteralPath (Join-Path $nested "$Name.AuditGuardConnector.psd1") -Value "@{ RootModule = '$Name.AuditGuardConnector.psm1'; ModuleVersion = '1.2.3'; GUID = '$([guid]::NewGuid())'; FunctionsToExport = @($(($exported | ForEach-Object { "'$_'" }) -join ', ')) }"
    $folder
}

# A connector for tests: a journal file that gets one line per write. Write can be rolled back
# within the window (-Window, d.hh:mm:ss); Publish is irreversible and compensated by a retraction.
# Actions Throw, Hang and Chatty misbehave in their commit step, and a target whose name ends in
# 'malformed' (or after a Write of the line BREAK) has a state the contract does not allow.
function Get-TestJournalConnectorBody([string] $Window = '1.00:00:00') {
    @"
function Get-ConnectorCapability {
    @{ Description = 'A journal file for tests.'; TargetKind = 'Path'; SupportsDryRun = `$true; DryRunFidelity = 'Exact'
       SupportsRollback = `$true; RollbackMethod = 'SnapshotRestore'; RollbackWindow = '$Window'
       Actions = @(
           @{ Name = 'Write'; Description = 'Appends a line.'; DefaultRisk = 'Low'; Parameters = @( @{ Name = 'Line'; Required = `$true } ) }
           @{ Name = 'Publish'; Description = 'Appends a line readers act on at once.'; DefaultRisk = 'Medium'; Irreversible = `$true; Parameters = @( @{ Name = 'Line'; Required = `$true } ) }
           @{ Name = 'Throw'; DefaultRisk = 'Low'; Parameters = @() }
           @{ Name = 'Hang'; DefaultRisk = 'Low'; Parameters = @() }
           @{ Name = 'Chatty'; DefaultRisk = 'Low'; Parameters = @( @{ Name = 'Line'; Required = `$true } ) }
       )
       Limitations = @('For tests only.') }
}
function Resolve-ConnectorTarget { param([string] `$Target) [IO.Path]::GetFullPath(`$Target) }
function Test-ConnectorIntent { param(`$Action, `$Target, `$Parameters) }
function Get-ConnectorState {
    param([string] `$Target)
    if (`$Target.EndsWith('malformed') -or (Test-Path -LiteralPath "`$Target.break")) { return 'not a state' }
    if (Test-Path -LiteralPath `$Target) { @{ Exists = `$true; Content = [IO.File]::ReadAllText(`$Target) } } else { @{ Exists = `$false; Content = '' } }
}
function Get-ConnectorPreview {
    param(`$Action, `$Target, `$Parameters, `$Before)
    if (`$Action -in 'Write', 'Publish', 'Chatty') { @{ Summary = 'appends a line'; After = @{ Exists = `$true; Content = `$Before.Content + `$Parameters.Line + "``n" } } }
    else { @{ Summary = "runs `$Action" } }
}
function Invoke-ConnectorAction {
    param(`$Action, `$Target, `$Parameters, `$Before)
    switch (`$Action) {
        'Throw' { throw 'the journal is jammed' }
        'Hang' { Start-Sleep -Seconds 600 }
        'Chatty' {
            Write-Host 'HOST-NOISE from the connector'
            Write-Warning 'the journal is nearly full'
            'stray output'
            [IO.File]::AppendAllText(`$Target, `$Parameters.Line + "``n")
        }
        default {
            [IO.File]::AppendAllText(`$Target, `$Parameters.Line + "``n")
            if (`$Parameters.Line -eq 'BREAK') { Set-Content -LiteralPath "`$Target.break" -Value 'x' }
        }
    }
}
function Test-ConnectorState { param(`$Action, `$Target, `$Parameters, `$Before, `$After) `$After.Content -eq `$Before.Content + `$Parameters.Line + "``n" }
function Restore-ConnectorState { param(`$Target, `$State) [IO.File]::WriteAllText(`$Target, `$State.Content) }
function Invoke-ConnectorCompensation { param(`$Action, `$Target, `$Parameters, `$Before, `$After) [IO.File]::AppendAllText(`$Target, 'RETRACTED: ' + `$Parameters.Line + "``n") }
"@
}

Export-ModuleMember -Function *
