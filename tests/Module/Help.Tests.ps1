BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = Import-PowerShellDataFile (Join-Path (Get-AuditGuardModulePath) 'AuditGuard.psd1')
    $script:cmdlets = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })

    # Every ```powershell runnable block under EXAMPLES in docs/help is run as written. An HTML
    # comment right after the block, '<!-- asserts:' then one PowerShell expression a line and
    # '-->', states the example's point: each expression must be true after the example ran.
    # Get-Help never shows the comment.
    $script:examples = @()
    $script:pages = @()
    foreach ($page in Get-ChildItem (Join-Path (Get-RepositoryRoot) 'docs/help') -Filter *.md) {
        $text = Get-Content -Raw $page.FullName
        $examplesSection = @(($text -split '(?m)^## ')[1..99] | Where-Object { $_ -like 'EXAMPLES*' }) -join ''
        $pattern = '(?ms)^### (?<title>[^\r\n]+)\r?\n```powershell runnable\r?\n(?<code>.*?)^```[ \t]*\r?\n(?:<!-- asserts:\r?\n(?<asserts>.*?)^-->)?'
        $found = @(foreach ($match in [regex]::Matches($examplesSection, $pattern)) {
                @{
                    Page    = $page.BaseName
                    Title   = $match.Groups['title'].Value
                    Code    = $match.Groups['code'].Value
                    Asserts = @($match.Groups['asserts'].Value -split '\r?\n' | Where-Object { $_.Trim() })
                }
            })
        $script:examples += $found
        # Counted apart from the parser above, so a parser that misses blocks or markers fails.
        $script:pages += @{
            Page           = $page.BaseName
            RunnableBlocks = [regex]::Matches($examplesSection, '(?m)^```powershell runnable\s*$').Count
            AssertMarkers  = [regex]::Matches($text, '(?m)^<!-- asserts:\s*$').Count
            Parsed         = $found.Count
            ParsedAsserted = @($found | Where-Object { $_.Asserts.Count -gt 0 }).Count
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force
    $script:commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

    function New-ExampleScript([string] $Code, [string[]] $Asserts = @()) {
        # The example as written, then each assertion in order; the first false one stops the run.
        $checks = for ($i = 0; $i -lt $Asserts.Count; $i++) {
            $quoted = $Asserts[$i].Replace("'", "''")
            "if (-not ($($Asserts[$i]))) { throw 'The example''s point does not hold: $quoted' }`n'assert-passed: $($i + 1)'"
        }
        $Code + "`n" + ($checks -join "`n")
    }

    function Invoke-Example([string] $Code, [string[]] $Asserts = @()) {
        $work = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))
        Invoke-FreshPwsh -ImportModule -Script (New-ExampleScript -Code $Code -Asserts $Asserts) -WorkingDirectory $work -Environment @{
            AUDITGUARD_STORE = (Join-Path $work 'audit.db')
        }
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:command = Get-Command $Name
    }

    It 'has a written synopsis and description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML, Get-Help falls back to the syntax as the synopsis.
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
        ($help.Description.Text -join "`n") | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $documented = @{}
        foreach ($parameter in $help.parameters.parameter) { $documented[$parameter.name] = ($parameter.description.Text -join "`n") }
        foreach ($name in $command.Parameters.Keys | Where-Object { $_ -notin $commonParameters }) {
            $documented[$name] | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }

    It 'has at least one example with code' {
        @($help.examples.example).Count | Should -BeGreaterThan 0
        foreach ($example in $help.examples.example) { $example.code | Should -Not -BeNullOrEmpty }
    }
}

Describe 'about_AuditGuard' {
    It 'is installed with the module and explains the big picture' {
        $about = Get-Help about_AuditGuard | Out-String
        $about | Should -Match 'operation\s+envelope'
        $about | Should -Match 'Connect-AuditStore'
    }
}

Describe 'The runnable help examples' {
    It 'finds every runnable example and every asserts marker on <Page>' -ForEach $pages {
        $RunnableBlocks | Should -BeGreaterThan 0 -Because 'every cmdlet has at least one example the tests run'
        $Parsed | Should -Be $RunnableBlocks
        $ParsedAsserted | Should -Be $AssertMarkers -Because 'an asserts marker must follow a runnable block directly'
    }

    It 'finds examples on every cmdlet''s page and the stated points of many' {
        $pages.Count | Should -Be $cmdlets.Count
        $examples.Count | Should -BeGreaterOrEqual 60
        @($examples | Where-Object { $_.Asserts.Count -gt 0 }).Count | Should -BeGreaterOrEqual 20
    }

    It 'fails an example whose stated point is false' {
        # The check itself: an example that runs but whose point does not hold must fail.
        $result = Invoke-Example -Code '$state = ''Closed''' -Asserts '$state -eq ''Closed''', '$state -eq ''Failed'''
        $result.ExitCode | Should -Not -Be 0
        $result.Error | Should -Match ([regex]::Escape("The example's point does not hold: `$state -eq 'Failed'"))
        $result.Output | Should -Contain 'assert-passed: 1'
        $result.Output | Should -Not -Contain 'assert-passed: 2'
    }
}

Describe 'Runnable help example <Page>: <Title>' -ForEach $examples {
    It 'runs against a throwaway store, and its stated point holds' {
        $result = Invoke-Example -Code $Code -Asserts $Asserts
        $result.ExitCode | Should -Be 0 -Because "the example failed: $($result.Error)"
        $result.Error | Should -BeNullOrEmpty
        for ($i = 1; $i -le $Asserts.Count; $i++) { $result.Output | Should -Contain "assert-passed: $i" }
    }
}
