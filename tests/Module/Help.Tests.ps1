BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifest = Import-PowerShellDataFile (Join-Path (Get-AuditGuardModulePath) 'AuditGuard.psd1')
    $script:cmdlets = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })

    # Every ```powershell runnable block under EXAMPLES in docs/help is run as written.
    $script:examples = foreach ($page in Get-ChildItem (Join-Path (Get-RepositoryRoot) 'docs/help') -Filter *.md) {
        $text = Get-Content -Raw $page.FullName
        $examplesSection = ($text -split '(?m)^## ')[1..99] | Where-Object { $_ -like 'EXAMPLES*' }
        foreach ($match in [regex]::Matches($examplesSection, '(?ms)^### (?<title>[^\r\n]+)\r?\n```powershell runnable\r?\n(?<code>.*?)^```')) {
            @{ Page = $page.BaseName; Title = $match.Groups['title'].Value; Code = $match.Groups['code'].Value }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force
    $script:commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
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

Describe 'Runnable help example <Page>: <Title>' -ForEach $examples {
    It 'runs against a throwaway store' {
        $work = New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))
        $result = Invoke-FreshPwsh -ImportModule -Script $Code -WorkingDirectory $work -Environment @{
            AUDITGUARD_STORE = (Join-Path $work 'audit.db')
        }
        $result.ExitCode | Should -Be 0 -Because "the example failed: $($result.Error)"
        $result.Error | Should -BeNullOrEmpty
    }
}
