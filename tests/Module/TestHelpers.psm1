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

Export-ModuleMember -Function *
