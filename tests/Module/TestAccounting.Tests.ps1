# The counting build.ps1 -Task Test relies on to say green or red, run on crafted result files:
# a suite that crashed, wrote nothing or ran nothing must never add up to green.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path (Get-RepositoryRoot) 'tools/TestAccounting.psm1') -Force

    function New-JUnitFile([string] $Name, [string] $Text) {
        $path = Join-Path $TestDrive $Name
        Set-Content -Path $path -Value $Text -NoNewline
        $path
    }

    function New-JUnitSuites([int[][]] $Suites) {
        # Each suite as tests, failures, errors, skipped.
        $body = foreach ($suite in $Suites) {
            "<testsuite name=`"s`" tests=`"$($suite[0])`" failures=`"$($suite[1])`" errors=`"$($suite[2])`" skipped=`"$($suite[3])`" />"
        }
        "<?xml version=`"1.0`" encoding=`"utf-8`"?><testsuites>$($body -join '')</testsuites>"
    }

    function New-Summary([string] $Name, [string] $Json) {
        $path = Join-Path $TestDrive $Name
        Set-Content -Path $path -Value $Json -NoNewline
        $path
    }
}

Describe 'Reading a JUnit result file' {
    It 'sums passed, failed (failures and errors) and skipped over every suite in the file' {
        $path = New-JUnitFile 'two-suites.xml' (New-JUnitSuites @(@(10, 1, 1, 2), @(5, 0, 0, 1)))
        $result = Read-JUnitResult -Suite 'xunit' -Path $path
        $result.Suite | Should -Be 'xunit'
        $result.Passed | Should -Be 10
        $result.Failed | Should -Be 2
        $result.Skipped | Should -Be 3
        $result.Problems | Should -BeNullOrEmpty
    }

    It 'reports <Case> as a problem, not as zero tests' -ForEach @(
        @{ Case = 'a missing file'; Text = $null; Expected = 'no result file' }
        @{ Case = 'an empty file'; Text = ''; Expected = 'empty result file' }
        @{ Case = 'a file cut off mid-write'; Text = '<?xml version="1.0"?><testsuites><testsuite name="s" tests="3"'; Expected = 'not XML' }
        @{ Case = 'a file without a suite'; Text = '<?xml version="1.0"?><testsuites />'; Expected = 'without a test suite' }
    ) {
        $path = Join-Path $TestDrive "junit-$([guid]::NewGuid()).xml"
        if ($null -ne $Text) { Set-Content -Path $path -Value $Text -NoNewline }
        $result = Read-JUnitResult -Suite 'xunit' -Path $path
        $result.Problems | Should -HaveCount 1
        $result.Problems[0] | Should -Match $Expected
        ($result | Complete-SuiteResult -ExitCode 1).Failed | Should -Be 1
        $summary = Get-TestSummary -Results ($result | Complete-SuiteResult -ExitCode 0)
        $summary.Succeeded | Should -BeFalse
        $summary.Line | Should -Be '0 passed, 1 failed'
    }
}

Describe 'Reading the Pester summary' {
    It 'takes the counts as written' {
        $result = Read-PesterSummary -Suite 'Pester' -Path (New-Summary 'ok.json' '{ "Passed": 7, "Failed": 2, "Skipped": 1 }')
        $result.Passed, $result.Failed, $result.Skipped | Should -Be @(7, 2, 1)
        $result.Problems | Should -BeNullOrEmpty
    }

    It 'reports <Case> as a problem' -ForEach @(
        @{ Case = 'a missing summary'; Json = $null; Expected = 'no summary' }
        @{ Case = 'an empty summary'; Json = ' '; Expected = 'empty summary' }
        @{ Case = 'a summary that is not JSON'; Json = 'Passed=7'; Expected = 'not JSON' }
        @{ Case = 'a summary without counts'; Json = '{ "Passed": 7 }'; Expected = 'without Failed, Skipped' }
        @{ Case = 'a summary with a count that is not a number'; Json = '{ "Passed": "many", "Failed": 0, "Skipped": 0 }'; Expected = 'without Passed' }
    ) {
        $path = Join-Path $TestDrive "summary-$([guid]::NewGuid()).json"
        if ($null -ne $Json) { Set-Content -Path $path -Value $Json -NoNewline }
        $result = Read-PesterSummary -Suite 'Pester' -Path $path | Complete-SuiteResult -ExitCode 0
        $result.Problems[0] | Should -Match $Expected
        $result.Failed | Should -Be 1
        (Get-TestSummary -Results $result).Succeeded | Should -BeFalse
    }
}

Describe 'Judging a suite by its counts and its exit code' {
    It 'is green when tests ran, none failed and the runner exited 0' {
        $result = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'green.xml' (New-JUnitSuites @(, @(3, 0, 0, 0)))) | Complete-SuiteResult -ExitCode 0
        $result.Problems | Should -BeNullOrEmpty
        $summary = Get-TestSummary -Results $result
        $summary.Succeeded | Should -BeTrue
        $summary.Line | Should -Be '3 passed, 0 failed'
    }

    It 'is red when a JUnit file holds zero tests, even though the runner exited 0' {
        $result = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'zero.xml' (New-JUnitSuites @(, @(0, 0, 0, 0)))) | Complete-SuiteResult -ExitCode 0
        $result.Problems | Should -Be @('ran no test')
        $result.Failed | Should -Be 1
        (Get-TestSummary -Results $result).Succeeded | Should -BeFalse
    }

    It 'is red when every test found was skipped' {
        $result = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'skipped.xml' (New-JUnitSuites @(, @(4, 0, 0, 4)))) | Complete-SuiteResult -ExitCode 0
        $result.Problems | Should -Be @('skipped every test it found')
        (Get-TestSummary -Results $result).Line | Should -Be '0 passed, 1 failed, 4 skipped'
    }

    It 'is red when the runner crashed after writing a file that reports no failure' {
        # A test host that dies mid-run can leave the results of the tests before the crash.
        $result = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'crashed.xml' (New-JUnitSuites @(, @(40, 0, 0, 0)))) | Complete-SuiteResult -ExitCode 134
        $result.Problems[0] | Should -Match 'exited with code 134 without reporting a failed test'
        $result.Passed | Should -Be 40
        $result.Failed | Should -Be 1
        (Get-TestSummary -Results $result).Succeeded | Should -BeFalse
    }

    It 'keeps the reported failures when the runner exits non-zero because of them' {
        $result = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'failures.xml' (New-JUnitSuites @(, @(10, 3, 0, 0)))) | Complete-SuiteResult -ExitCode 1
        $result.Problems | Should -BeNullOrEmpty
        $result.Failed | Should -Be 3
        (Get-TestSummary -Results $result).Succeeded | Should -BeFalse
    }

    It 'is red when a suite reports failures but its runner exited 0' {
        $result = Read-PesterSummary -Suite 'Pester' -Path (New-Summary 'failed.json' '{ "Passed": 5, "Failed": 2, "Skipped": 0 }') | Complete-SuiteResult -ExitCode 0
        (Get-TestSummary -Results $result).Succeeded | Should -BeFalse
    }
}

Describe 'The closing line over both suites' {
    It 'sums both suites, adds skipped only when some were, and prints each suite on its own line' {
        $xunit = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'x.xml' (New-JUnitSuites @(, @(12, 0, 0, 0)))) | Complete-SuiteResult -ExitCode 0
        $pester = Read-PesterSummary -Suite 'Pester' -Path (New-Summary 'p.json' '{ "Passed": 8, "Failed": 0, "Skipped": 0 }') | Complete-SuiteResult -ExitCode 0
        (Get-TestSummary -Results $xunit, $pester).Line | Should -Be '20 passed, 0 failed'
        @($xunit, $pester | Format-SuiteLine) | Should -Be @('xunit: 12 passed, 0 failed, 0 skipped', 'Pester: 8 passed, 0 failed, 0 skipped')

        $withSkips = Read-PesterSummary -Suite 'Pester' -Path (New-Summary 'ps.json' '{ "Passed": 8, "Failed": 0, "Skipped": 2 }') | Complete-SuiteResult -ExitCode 0
        (Get-TestSummary -Results $xunit, $withSkips).Line | Should -Be '20 passed, 0 failed, 2 skipped'
    }

    It 'is red when one suite is green and the other crashed without a result' {
        $xunit = Read-JUnitResult -Suite 'xunit' -Path (New-JUnitFile 'fine.xml' (New-JUnitSuites @(, @(400, 0, 0, 0)))) | Complete-SuiteResult -ExitCode 0
        $pester = Read-PesterSummary -Suite 'Pester' -Path (Join-Path $TestDrive 'never-written.json') | Complete-SuiteResult -ExitCode 1
        $summary = Get-TestSummary -Results $xunit, $pester
        $summary.Succeeded | Should -BeFalse
        $summary.Line | Should -Be '400 passed, 1 failed'
        ($pester | Format-SuiteLine) | Should -Match '^Pester: 0 passed, 1 failed, 0 skipped \(wrote no summary .*; exited with code 1'
    }
}

Describe 'build.ps1 -Task Test' {
    It 'counts with these functions and exits non-zero when the summary says red' {
        # The task's own code, read rather than run (a run takes minutes): it must use the
        # tested accounting and its verdict, not a sum of its own.
        $build = Get-Content -Raw (Join-Path (Get-RepositoryRoot) 'build.ps1')
        $task = [regex]::Match($build, '(?ms)^function Invoke-Test \{.*?^\}').Value
        $task | Should -Not -BeNullOrEmpty
        $task | Should -Match 'Read-JUnitResult .*\| Complete-SuiteResult -ExitCode \$LASTEXITCODE'
        $task | Should -Match 'Read-PesterSummary .*\| Complete-SuiteResult -ExitCode \$LASTEXITCODE'
        $task | Should -Match 'if \(-not \$summary\.Succeeded\) \{ exit 1 \}'
    }
}
