#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages AuditGuard.

.DESCRIPTION
    Tasks:
      Build    lay out the importable module in out/AuditGuard (assemblies, manifest, formats, help)
      Test     build, ensure test prerequisites, run xunit then Pester (in a child pwsh against
               out/AuditGuard), write results to out/test-results, end with 'N passed, N failed'
      Demo     build, then walk through AuditGuard in a fresh session on a throwaway store
      Bench    measure the ledger beside this machine's raw limits (SQLite, CMS), write
               out/bench/bench.md and bench.json; fails when a target is missed (-Quick: a smoke run)
      Mutate   mutation testing (Stryker.NET) of the engine's Ledger, Signing, Canonical and Operations
               folders; report in out/mutation; not part of Test (it takes about half an hour)
      Soak     long-running stress of the ledger (not built yet: it says so and exits 2)
      Docs     convert docs/help/*.md into the module's MAML help
      Package  write out/package/AuditGuard.<version>.nupkg for Install-PSResource/Install-Module
      Clean    remove build output

.EXAMPLE
    dotnet tool restore && dotnet pwsh -File build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Mutate', 'Soak', 'Docs', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Bench: a shorter run for a quick look; the full run is what targets are judged on.
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'AuditGuard'
$ResultsOut = Join-Path $Out 'test-results'
# Native SQLite builds shipped in the module; every other platform's build is left out.
$SupportedRuntimes = 'linux-x64', 'linux-arm64', 'win-x64', 'osx-x64', 'osx-arm64'
# Commands the tests call, and the Debian package that provides each.
$TestPrerequisites = [ordered]@{ openssl = 'openssl'; sqlite3 = 'sqlite3'; mount = 'mount'; chromium = 'chromium' }

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Get-ModuleVersion {
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    $props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
}

function Get-PwshPath {
    # The PowerShell running this script: the dotnet tool's apphost, or an installed pwsh.
    Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
}

function Get-NuGetPackagesFolder {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = dotnet nuget locals global-packages --list | Select-Object -First 1
    ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Docs {
    $helpOut = Join-Path $ModuleOut 'en-US'
    New-Item -ItemType Directory -Force -Path $helpOut | Out-Null
    Invoke-Native dotnet @('run', '--project', (Join-Path $Root 'tools/AuditGuard.HelpBuilder'), '-c', $Configuration, '--',
        '--input', (Join-Path $Root 'docs/help'), '--output', (Join-Path $helpOut 'AuditGuard.Cmdlets.dll-Help.xml'))
    Copy-Item -Path (Join-Path $Root 'module/en-US/*') -Destination $helpOut -Force
}

function Invoke-Build {
    $publish = Join-Path $Out 'publish'
    if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/AuditGuard.Cmdlets'), '-c', $Configuration, '-o', $publish, '--nologo')

    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    $dependencies = New-Item -ItemType Directory -Force -Path (Join-Path $ModuleOut 'Dependencies')

    # The cmdlet assembly alone sits at the root; PowerShell loads it into the shared context.
    Copy-Item (Join-Path $publish 'AuditGuard.Cmdlets.dll'), (Join-Path $publish 'AuditGuard.Cmdlets.pdb') $ModuleOut
    Get-ChildItem $publish -File |
        Where-Object { $_.Name -notlike 'AuditGuard.Cmdlets.*' -and $_.Extension -in '.dll', '.pdb' } |
        Copy-Item -Destination $dependencies
    foreach ($runtime in $SupportedRuntimes) {
        $native = Join-Path $publish "runtimes/$runtime/native"
        if (-not (Test-Path $native)) { throw "The publish output has no native SQLite for $runtime." }
        $target = New-Item -ItemType Directory -Force -Path (Join-Path $dependencies "runtimes/$runtime/native")
        Copy-Item (Join-Path $native '*') $target
    }
    if (Test-Path (Join-Path $dependencies 'System.Management.Automation.dll')) {
        throw 'System.Management.Automation.dll leaked into the module: PowerShell supplies it.'
    }

    $manifest = (Get-Content -Raw (Join-Path $Root 'module/AuditGuard.psd1')).Replace('{{ModuleVersion}}', (Get-ModuleVersion))
    Set-Content -Path (Join-Path $ModuleOut 'AuditGuard.psd1') -Value $manifest -NoNewline
    Copy-Item (Join-Path $Root 'module/*.format.ps1xml') $ModuleOut
    # The sample connector ships with the module, as a template users copy.
    $samples = New-Item -ItemType Directory -Force -Path (Join-Path $ModuleOut 'examples')
    Copy-Item -Recurse (Join-Path $Root 'examples/connectors') $samples
    Invoke-Docs
    Test-ModuleManifest (Join-Path $ModuleOut 'AuditGuard.psd1') | Out-Null
    Write-Host "Module laid out in $ModuleOut"
}

function Assert-TestPrerequisites {
    $missing = @($TestPrerequisites.Keys | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) })
    if ($missing.Count -eq 0) { return }
    $packages = @($missing | ForEach-Object { $TestPrerequisites[$_] } | Select-Object -Unique)
    $isRoot = -not $IsWindows -and (id -u) -eq '0'
    if ($IsLinux -and $isRoot -and (Get-Command apt-get -ErrorAction Ignore)) {
        Write-Host "Installing test prerequisites: $($packages -join ', ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get @('update', '-q')
        Invoke-Native apt-get (@('install', '-y', '-q', '--no-install-recommends') + $packages)
        return
    }
    throw "The tests need $($missing -join ', '). Install them first, for example: sudo apt-get install -y $($packages -join ' ')"
}

function Invoke-Test {
    Import-Module (Join-Path $Root 'tools/TestAccounting.psm1') -Force
    Assert-TestPrerequisites
    # Package lays out the module too; the Pester suite installs the package as a user would.
    Invoke-Package
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/TestDependencies'), '--nologo', '-v', 'q')
    if (Test-Path $ResultsOut) { Remove-Item -Recurse -Force $ResultsOut }
    New-Item -ItemType Directory -Force -Path $ResultsOut | Out-Null

    # The central store's tests run against a real, throwaway PostgreSQL server, stopped whatever
    # the tests do; without one they report themselves skipped, with the reason.
    Import-Module (Join-Path $Root 'tools/TestPostgres.psm1') -Force
    $postgres = Start-TestPostgres
    try {
        if ($postgres.SkipReason) {
            Write-Warning "The PostgreSQL tests will be skipped: $($postgres.SkipReason)"
            $env:AUDITGUARD_TEST_POSTGRES = $null
            $env:AUDITGUARD_TEST_POSTGRES_SKIP = $postgres.SkipReason
        }
        else {
            Write-Host "PostgreSQL for the tests: $($postgres.ConnectionString -replace 'Password=[^;]*', 'Password=***')"
            $env:AUDITGUARD_TEST_POSTGRES = $postgres.ConnectionString
            $env:AUDITGUARD_TEST_POSTGRES_SKIP = $null
        }

        # Both suites always run, so one report shows everything; each is judged by its results
        # and its exit code together (a crash can leave a result file that claims nothing failed).
        $junit = Join-Path $ResultsOut 'xunit.junit.xml'
        & dotnet test (Join-Path $Root 'tests/AuditGuard.Engine.Tests') -c $Configuration --nologo `
            --logger "junit;LogFilePath=$junit" --logger 'console;verbosity=minimal' --results-directory $ResultsOut
        $xunit = Read-JUnitResult -Suite 'xunit' -Path $junit | Complete-SuiteResult -ExitCode $LASTEXITCODE

        $summaryPath = Join-Path $ResultsOut 'pester-summary.json'
        $env:AUDITGUARD_NUGET_PACKAGES = Get-NuGetPackagesFolder
        & (Get-PwshPath) -NoProfile -NonInteractive -File (Join-Path $Root 'tests/Invoke-ModuleTests.ps1') `
            -ModulePath $ModuleOut -TestPath (Join-Path $Root 'tests/Module') -ResultPath (Join-Path $ResultsOut 'pester.nunit.xml') `
            -SummaryPath $summaryPath
        $pester = Read-PesterSummary -Suite 'Pester' -Path $summaryPath | Complete-SuiteResult -ExitCode $LASTEXITCODE
    }
    finally {
        Stop-TestPostgres -Server $postgres
        $env:AUDITGUARD_TEST_POSTGRES = $null
    }

    $results = @($xunit, $pester)
    $results | Format-SuiteLine | ForEach-Object { Write-Host $_ }
    if ($postgres.SkipReason) { Write-Host "PostgreSQL tests skipped: $($postgres.SkipReason)" }
    $summary = Get-TestSummary -Results $results
    Write-Host $summary.Line
    if (-not $summary.Succeeded) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    # Where PostgreSQL is installed, the demo also shows a central store, on a throwaway server it
    # stops afterwards; it installs nothing, and runs on SQLite alone without one.
    Import-Module (Join-Path $Root 'tools/TestPostgres.psm1') -Force
    $postgres = Start-TestPostgres -NoInstall
    try {
        if ($postgres.SkipReason) {
            Write-Host "The demo runs without a central store: $($postgres.SkipReason)"
        }
        else {
            $env:AUDITGUARD_DEMO_POSTGRES = "Host=127.0.0.1;Port=$($postgres.Port);Database=postgres"
            $env:AUDITGUARD_DEMO_POSTGRES_USER = 'postgres'
            $env:AUDITGUARD_DEMO_POSTGRES_PASSWORD = $postgres.Password
        }
        & (Get-PwshPath) -NoProfile -NonInteractive -File (Join-Path $Root 'examples/Demo.ps1') -ModulePath $ModuleOut
        $code = $LASTEXITCODE
    }
    finally {
        Stop-TestPostgres -Server $postgres
        $env:AUDITGUARD_DEMO_POSTGRES = $env:AUDITGUARD_DEMO_POSTGRES_USER = $env:AUDITGUARD_DEMO_POSTGRES_PASSWORD = $null
    }
    if ($code -ne 0) { throw "The demo failed with exit code $code." }
}

function Invoke-Package {
    Invoke-Build
    $packageOut = New-Item -ItemType Directory -Force -Path (Join-Path $Out 'package')
    Get-ChildItem $packageOut -Filter 'AuditGuard.*.nupkg' | Remove-Item -Force
    Compress-PSResource -Path $ModuleOut -DestinationPath $packageOut
    $package = Join-Path $packageOut "AuditGuard.$(Get-ModuleVersion).nupkg"
    if (-not (Test-Path $package)) { throw "Compress-PSResource did not write $package." }
    Write-Host "Package written to $package"
}

function Invoke-Clean {
    foreach ($folder in @($Out) + @(Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests'), (Join-Path $Root 'tools') -Directory -Recurse -Include bin, obj).FullName) {
        if ($folder -and (Test-Path $folder)) { Remove-Item -Recurse -Force $folder }
    }
}

function Invoke-Bench {
    # Always Release: a Debug build's timings say nothing about the ledger.
    $benchOut = Join-Path $Out 'bench'
    # A run that fails before it measures must not leave the previous run's verdicts to be read.
    Remove-Item -Path (Join-Path $benchOut 'bench.json'), (Join-Path $benchOut 'bench.md') -ErrorAction Ignore
    $arguments = @('run', '--project', (Join-Path $Root 'bench/AuditGuard.Bench'), '-c', 'Release', '--', '--out', $benchOut)
    if ($Quick) { $arguments += '--quick' }
    # The central rows time a throwaway PostgreSQL server, with fsync on (-Durable) so its commits
    # cost what a real server's do, stopped whatever the bench does; without one they are skipped.
    Import-Module (Join-Path $Root 'tools/TestPostgres.psm1') -Force
    $pg = Start-TestPostgres -Durable
    try {
        $env:AUDITGUARD_BENCH_POSTGRES = $pg.ConnectionString
        $env:AUDITGUARD_BENCH_POSTGRES_SKIP = $pg.SkipReason
        if ($pg.SkipReason) { Write-Warning "The central (PostgreSQL) rows will be skipped: $($pg.SkipReason)" }
        & dotnet @arguments
        $code = $LASTEXITCODE
    }
    finally {
        Stop-TestPostgres -Server $pg
        $env:AUDITGUARD_BENCH_POSTGRES = $null
        $env:AUDITGUARD_BENCH_POSTGRES_SKIP = $null
    }
    if ($code -eq 0) { return }

    $report = Join-Path $benchOut 'bench.json'
    if ($code -eq 1 -and (Test-Path $report)) {
        $missed = @((Get-Content -Raw $report | ConvertFrom-Json).metrics | Where-Object { $_.PSObject.Properties['met'] -and -not $_.met } |
            ForEach-Object { "$($_.name): $($_.value.ToString('N0', [cultureinfo]::InvariantCulture)) $($_.unit), ratio $($_.ratio.ToString('0.000', [cultureinfo]::InvariantCulture)) (target $($_.target))" })
        $missed | ForEach-Object { Write-Host "  missed: $_" -ForegroundColor Red }
        Write-Error "Bench missed $($missed.Count) target(s); see $(Join-Path $benchOut 'bench.md')." -ErrorAction Continue
        exit 1
    }

    Write-Error "The bench failed with exit code $code." -ErrorAction Continue
    exit $code
}

# The folders mutation testing covers, and the score each must reach.
$MutatedFolders = 'Ledger', 'Signing', 'Canonical', 'Operations'
$MutationTarget = 80

function Get-MutationScores([string] $reportPath) {
    # Per folder, from Stryker's JSON report: killed (and timed-out) mutants over every mutant a
    # test could have killed; compile errors and ignored mutants count for nothing.
    $report = Get-Content -Raw $reportPath | ConvertFrom-Json
    $engine = [IO.Path]::GetFullPath((Join-Path $Root 'src/AuditGuard.Engine')) + [IO.Path]::DirectorySeparatorChar
    $rows = foreach ($file in $report.files.PSObject.Properties) {
        $relative = ([IO.Path]::GetFullPath($file.Name)).Replace($engine, '').Replace('\', '/')
        $folder = ($relative -split '/')[0]
        if ($folder -notin $MutatedFolders) { continue }
        foreach ($mutant in $file.Value.mutants) { [pscustomobject]@{ Folder = $folder; Status = $mutant.status } }
    }
    foreach ($group in $rows | Group-Object Folder | Sort-Object Name) {
        $count = { param($statuses) @($group.Group | Where-Object Status -in $statuses).Count }
        $killed = & $count 'Killed', 'Timeout'
        $survived = & $count 'Survived'
        $uncovered = & $count 'NoCoverage'
        $valid = $killed + $survived + $uncovered
        [pscustomobject]@{
            Folder     = $group.Name
            Killed     = $killed
            Survived   = $survived
            NoCoverage = $uncovered
            Score      = $valid ? [math]::Round(100 * $killed / $valid, 1) : 0
        }
    }
}

function Invoke-Mutate {
    $mutationOut = Join-Path $Out 'mutation'
    if (Test-Path $mutationOut) { Remove-Item -Recurse -Force $mutationOut }
    # Stryker finds the test project relative to where it runs; the settings are in the config file.
    Push-Location (Join-Path $Root 'tests')
    try {
        & dotnet dotnet-stryker --config-file (Join-Path $Root 'tests/stryker-config.json') --output $mutationOut --skip-version-check
        $code = $LASTEXITCODE
    }
    finally {
        Pop-Location
    }
    if ($code -ne 0) {
        Write-Error "Stryker failed with exit code $code." -ErrorAction Continue
        exit $code
    }

    $report = Join-Path $mutationOut 'reports/mutation-report.json'
    if (-not (Test-Path $report)) { throw "Stryker wrote no report at $report." }
    $scores = @(Get-MutationScores $report)
    $lines = @('| folder | killed | survived | no coverage | score |', '|---|---:|---:|---:|---:|') +
        @($scores | ForEach-Object { "| $($_.Folder) | $($_.Killed) | $($_.Survived) | $($_.NoCoverage) | $($_.Score.ToString('0.0', [cultureinfo]::InvariantCulture)) % |" })
    Set-Content -Path (Join-Path $mutationOut 'scores.md') -Value $lines
    $lines | ForEach-Object { Write-Host $_ }
    Write-Host "Report: $(Join-Path $mutationOut 'reports/mutation-report.html')"
    $missed = @($scores | Where-Object Score -lt $MutationTarget)
    if ($missed.Count -gt 0 -or $scores.Count -ne $MutatedFolders.Count) {
        Write-Error "Mutation score below $MutationTarget % (or a folder without mutants): $(($missed.Folder) -join ', ')." -ErrorAction Continue
        exit 1
    }
}

function Invoke-NotYetBuilt([string] $what) {
    Write-Error "The $Task task is not built yet: $what" -ErrorAction Continue
    exit 2
}

Push-Location $Root
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Docs' { Invoke-Docs }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
        'Bench' { Invoke-Bench }
        'Mutate' { Invoke-Mutate }
        'Soak' { Invoke-NotYetBuilt 'a long multi-process stress run of the ledger is planned; Test covers concurrency and crash safety meanwhile.' }
    }
}
finally {
    Pop-Location
}
