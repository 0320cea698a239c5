# How build.ps1 -Task Test counts what each suite did, kept apart so the counting itself is tested
# (tests/Module/TestAccounting.Tests.ps1). A suite that crashed, wrote no results or ran nothing
# is never green: it counts as one failure with the reason beside it, so the closing line can
# never read '0 failed' for a red build.

Set-StrictMode -Version Latest

function New-SuiteResult {
    param(
        [Parameter(Mandatory)] [string] $Suite,
        [int] $Passed,
        [int] $Failed,
        [int] $Skipped,
        [string[]] $Problems = @()
    )
    [pscustomobject]@{
        PSTypeName = 'AuditGuard.TestSuiteResult'
        Suite      = $Suite
        Passed     = $Passed
        Failed     = $Failed
        Skipped    = $Skipped
        Problems   = @($Problems)
    }
}

function Read-JUnitResult {
    <#
    .SYNOPSIS
        The counts in a JUnit XML file (as the xunit logger writes it); a missing, empty or
        unreadable file is a problem, not zero tests.
    #>
    param([Parameter(Mandatory)] [string] $Suite, [Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return New-SuiteResult $Suite -Problems "wrote no result file ($Path)"
    }
    $text = Get-Content -Raw -LiteralPath $Path
    if ([string]::IsNullOrWhiteSpace($text)) {
        return New-SuiteResult $Suite -Problems "wrote an empty result file ($Path)"
    }
    try { $document = [xml]$text }
    catch { return New-SuiteResult $Suite -Problems "wrote a result file that is not XML ($Path): $($_.Exception.Message)" }

    $suites = @($document.SelectNodes('//testsuite'))
    if ($suites.Count -eq 0) {
        return New-SuiteResult $Suite -Problems "wrote a result file without a test suite ($Path)"
    }
    $total = $failed = $skipped = 0
    foreach ($node in $suites) {
        $total += [int]$node.GetAttribute('tests')
        $failed += [int]$node.GetAttribute('failures') + [int]$node.GetAttribute('errors')
        $skipped += [int]$node.GetAttribute('skipped')
    }
    New-SuiteResult $Suite -Passed ($total - $failed - $skipped) -Failed $failed -Skipped $skipped
}

function Read-PesterSummary {
    <#
    .SYNOPSIS
        The counts tests/Invoke-ModuleTests.ps1 wrote as JSON ({ Passed, Failed, Skipped }); a
        missing, empty or malformed summary is a problem, not zero tests.
    #>
    param([Parameter(Mandatory)] [string] $Suite, [Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return New-SuiteResult $Suite -Problems "wrote no summary ($Path)"
    }
    $text = Get-Content -Raw -LiteralPath $Path
    if ([string]::IsNullOrWhiteSpace($text)) {
        return New-SuiteResult $Suite -Problems "wrote an empty summary ($Path)"
    }
    try { $summary = $text | ConvertFrom-Json }
    catch { return New-SuiteResult $Suite -Problems "wrote a summary that is not JSON ($Path)" }
    $missing = @('Passed', 'Failed', 'Skipped' | Where-Object {
            -not $summary.PSObject.Properties[$_] -or ($summary.$_ -isnot [long] -and $summary.$_ -isnot [int])
        })
    if ($missing.Count -gt 0) {
        return New-SuiteResult $Suite -Problems "wrote a summary without $($missing -join ', ') counts ($Path)"
    }
    New-SuiteResult $Suite -Passed $summary.Passed -Failed $summary.Failed -Skipped $summary.Skipped
}

function Complete-SuiteResult {
    <#
    .SYNOPSIS
        Judges a suite by its counts and its runner's exit code together: a non-zero exit with no
        failure reported is a crash, and a suite that ran no test did not test anything. Either
        counts as one failure, so a broken suite can never add up to green.
    #>
    param([Parameter(Mandatory, ValueFromPipeline)] [pscustomobject] $Result, [Parameter(Mandatory)] [int] $ExitCode)
    process {
        $problems = [Collections.Generic.List[string]]::new()
        foreach ($problem in $Result.Problems) { $problems.Add($problem) }
        if ($ExitCode -ne 0 -and $Result.Failed -eq 0) {
            $problems.Add("exited with code $ExitCode without reporting a failed test: it crashed or did not finish")
        }
        if ($problems.Count -eq 0 -and $Result.Passed + $Result.Failed + $Result.Skipped -eq 0) {
            $problems.Add('ran no test')
        }
        elseif ($problems.Count -eq 0 -and $Result.Passed -eq 0 -and $Result.Failed -eq 0) {
            $problems.Add('skipped every test it found')
        }
        $failed = $Result.Failed
        if ($problems.Count -gt 0 -and $failed -eq 0) { $failed = 1 }
        New-SuiteResult $Result.Suite -Passed $Result.Passed -Failed $failed -Skipped $Result.Skipped -Problems $problems
    }
}

function Format-SuiteLine {
    # One line per suite, with the reason when it did not run cleanly.
    param([Parameter(Mandatory, ValueFromPipeline)] [pscustomobject] $Result)
    process {
        $line = "$($Result.Suite): $($Result.Passed) passed, $($Result.Failed) failed, $($Result.Skipped) skipped"
        if ($Result.Problems.Count -gt 0) { $line += " ($($Result.Problems -join '; '))" }
        $line
    }
}

function Get-TestSummary {
    <#
    .SYNOPSIS
        Sums the suites into the closing line 'N passed, N failed' (with ', N skipped' when any
        were) and says whether the run is green: every suite ran, none failed.
    #>
    param([Parameter(Mandatory)] [pscustomobject[]] $Results)
    $passed = ($Results | Measure-Object -Property Passed -Sum).Sum
    $failed = ($Results | Measure-Object -Property Failed -Sum).Sum
    $skipped = ($Results | Measure-Object -Property Skipped -Sum).Sum
    [pscustomobject]@{
        Passed    = [int]$passed
        Failed    = [int]$failed
        Skipped   = [int]$skipped
        Succeeded = $failed -eq 0 -and @($Results | Where-Object { $_.Problems.Count -gt 0 }).Count -eq 0
        Line      = "$passed passed, $failed failed" + ($skipped ? ", $skipped skipped" : '')
    }
}

Export-ModuleMember -Function Read-JUnitResult, Read-PesterSummary, Complete-SuiteResult, Format-SuiteLine, Get-TestSummary
