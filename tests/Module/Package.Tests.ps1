BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:manifest = Import-PowerShellDataFile (Join-Path (Get-AuditGuardModulePath) 'AuditGuard.psd1')
    $script:package = Join-Path (Get-RepositoryRoot) "out/package/AuditGuard.$($manifest.ModuleVersion).nupkg"
}

Describe 'The module package' {
    It 'installs from a local repository folder with Install-PSResource and imports' {
        $package | Should -Exist
        $repository = Join-Path $TestDrive 'repository'
        $installed = Join-Path $TestDrive 'modules'
        New-Item -ItemType Directory -Path $repository, $installed | Out-Null
        Copy-Item $package $repository
        $store = Join-Path $TestDrive 'packaged.db'
        $name = "AuditGuardTest$PID"
        $result = Invoke-FreshPwsh -Script @"
Register-PSResourceRepository -Name '$name' -Uri '$repository' -Trusted
try {
    Save-PSResource -Name AuditGuard -Repository '$name' -Path '$installed' -TrustRepository -SkipDependencyCheck
} finally {
    Unregister-PSResourceRepository -Name '$name'
}
Import-Module '$installed/AuditGuard'
(Get-Module AuditGuard).Version.ToString()
(Connect-AuditStore -Path '$store' -PassThru).SchemaVersion
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be @($manifest.ModuleVersion, '3')
    }
}
