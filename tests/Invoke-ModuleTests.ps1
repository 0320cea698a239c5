#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite against the laid-out module; build.ps1 -Task Test starts it in a child pwsh.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $SummaryPath
)

$ErrorActionPreference = 'Stop'
$pester = Join-Path $env:AUDITGUARD_NUGET_PACKAGES 'pester/5.7.1/tools/Pester.psd1'
if (-not (Test-Path $pester)) {
    throw "Pester 5.7.1 is not in the NuGet cache ($pester). Run: dotnet restore tools/TestDependencies"
}
Import-Module $pester -Force

# The tests read where the module is from here, so they test exactly this layout.
$env:AUDITGUARD_MODULE_PATH = (Resolve-Path $ModulePath).Path

# No test may ever write to a real user's default store: the default store and the per-user
# data folder it lives in (LocalApplicationData: $XDG_DATA_HOME or ~/.local/share on Unix,
# %LOCALAPPDATA% on Windows) both point into a throwaway folder for this process and every
# child it starts. TestHelpers refuses to load without them.
$realDefaultStore = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'AuditGuard/audit.db'
$isolation = (New-Item -ItemType Directory -Force -Path (Join-Path ([IO.Path]::GetTempPath()) "auditguard-pester-$PID-$([guid]::NewGuid().ToString('N').Substring(0, 8))")).FullName
$env:AUDITGUARD_TEST_ISOLATION = $isolation
$env:XDG_DATA_HOME = (New-Item -ItemType Directory -Path (Join-Path $isolation 'user-data')).FullName
if ($IsWindows) { $env:LOCALAPPDATA = $env:XDG_DATA_HOME }
$env:AUDITGUARD_STORE = Join-Path (New-Item -ItemType Directory -Path (Join-Path $isolation 'default-store')).FullName 'audit.db'
$isolatedDataFolder = [Environment]::GetFolderPath('LocalApplicationData')
if (-not $isolatedDataFolder.StartsWith($isolation, [StringComparison]::Ordinal)) {
    throw "The per-user data folder is still $isolatedDataFolder after isolating it: the tests could reach a real user's store."
}

function Get-StoreFingerprint([string] $Path) {
    # What a write to the real default store would change: which of its files exist, their sizes and times.
    @(Get-ChildItem -Force -Path "$Path*" -ErrorAction Ignore | ForEach-Object { "$($_.Name) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" }) -join '; '
}
$realBefore = Get-StoreFingerprint $realDefaultStore

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath
$result = Invoke-Pester -Configuration $configuration

# A failure outside any test (a broken BeforeAll, a file that does not parse) counts as a failure too.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
# The isolation is checked, not trusted: a real default store touched during the run fails it.
if ((Get-StoreFingerprint $realDefaultStore) -ne $realBefore) {
    Write-Host "A test wrote to the real default store $realDefaultStore." -ForegroundColor Red
    $failed++
}
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
Remove-Item -Recurse -Force -Path $isolation -ErrorAction Ignore
exit ($failed -gt 0 ? 1 : 0)
