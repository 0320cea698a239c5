BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = Get-AuditGuardModulePath
    $script:manifest = Import-PowerShellDataFile (Join-Path $module 'AuditGuard.psd1')
}

Describe 'The laid-out module' {
    It 'imports in a fresh session and opens a store' {
        $store = Join-Path $TestDrive 'fresh.db'
        $result = Invoke-FreshPwsh -ImportModule -Script "Connect-AuditStore -Path '$store' -PassThru | ForEach-Object StoreId"
        $result.ExitCode | Should -Be 0 -Because $result.Error
        [guid]$result.Output[-1] | Should -Not -Be ([guid]::Empty)
        $store | Should -Exist
    }

    It 'exports exactly the cmdlets its manifest lists' {
        $result = Invoke-FreshPwsh -ImportModule -Script '(Get-Command -Module AuditGuard).Name | Sort-Object'
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be ($manifest.CmdletsToExport | Sort-Object)
    }

    It 'declares what PowerShell needs to know before loading it' {
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.RootModule | Should -Be 'AuditGuard.Cmdlets.dll'
        $manifest.FunctionsToExport | Should -BeNullOrEmpty
        $manifest.AliasesToExport | Should -BeNullOrEmpty
        $manifest.CmdletsToExport | Should -Not -Contain '*'
        $manifest.ModuleVersion | Should -Match '^\d+\.\d+\.\d+$'
        $manifest.PrivateData.PSData.Tags | Should -Contain 'Audit'
    }

    It 'keeps its dependencies apart and ships native SQLite for the supported platforms only' {
        Get-ChildItem $module -Filter *.dll | ForEach-Object Name | Should -Be @('AuditGuard.Cmdlets.dll')
        $dependencies = Join-Path $module 'Dependencies'
        foreach ($name in 'AuditGuard.Engine.dll', 'Microsoft.Data.Sqlite.dll', 'SQLitePCLRaw.core.dll', 'System.Security.Cryptography.Pkcs.dll') {
            Join-Path $dependencies $name | Should -Exist
        }
        Join-Path $dependencies 'System.Management.Automation.dll' | Should -Not -Exist
        (Get-ChildItem (Join-Path $dependencies 'runtimes') -Directory).Name | Sort-Object |
            Should -Be @('linux-arm64', 'linux-x64', 'osx-arm64', 'osx-x64', 'win-x64')
    }

    It 'opens a store after another version of Microsoft.Data.Sqlite and SQLitePCLRaw was loaded' {
        $packages = $env:AUDITGUARD_NUGET_PACKAGES
        $otherRaw = Join-Path $packages 'sqlitepclraw.core/2.1.11/lib/netstandard2.0/SQLitePCLRaw.core.dll'
        $otherSqlite = Join-Path $packages 'microsoft.data.sqlite.core/8.0.34/lib/net8.0/Microsoft.Data.Sqlite.dll'
        $otherRaw, $otherSqlite | Should -Exist
        $store = Join-Path $TestDrive 'isolated.db'
        $shipped = Join-Path $module 'Dependencies/Microsoft.Data.Sqlite.dll'
        $result = Invoke-FreshPwsh -Script @"
Add-Type -Path '$otherRaw'
Add-Type -Path '$otherSqlite'
'loaded:' + [Microsoft.Data.Sqlite.SqliteConnection].Assembly.GetName().Version
# Without isolation the module's own copy could not load beside it:
try { Add-Type -Path '$shipped'; 'conflict:none' } catch { 'conflict:' + `$_.Exception.GetType().Name }
Import-Module '$module'
'store:' + (Connect-AuditStore -Path '$store' -PassThru).SchemaVersion
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Contain 'loaded:8.0.34.0'
        $result.Output | Should -Contain 'conflict:FileLoadException'
        $result.Output | Should -Contain 'store:3'
    }

    It 'can be removed and imported again in the same session' {
        $store = Join-Path $TestDrive 'reimport.db'
        $result = Invoke-FreshPwsh -Script @"
Import-Module '$module'
`$first = (Connect-AuditStore -Path '$store' -PassThru).StoreId
Remove-Module AuditGuard
if (Get-Command Get-AuditStore -ErrorAction Ignore) { throw 'still exported after Remove-Module' }
Import-Module '$module'
Connect-AuditStore -Path '$store'
(Get-AuditStore).StoreId -eq `$first
"@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[-1] | Should -Be 'True'
    }
}
