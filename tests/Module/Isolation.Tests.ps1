# The suite must never write to a real user's default store: tests/Invoke-ModuleTests.ps1
# points the default store and the per-user data folder into a throwaway folder, and every
# child pwsh gets those unless a test names its own.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:root = Get-TestIsolationRoot
}

Describe 'Test isolation' {
    It 'points the default store and the per-user data folder of this process into the throwaway folder' {
        $root | Should -Not -BeNullOrEmpty
        Test-Path -LiteralPath $root -PathType Container | Should -BeTrue
        $env:AUDITGUARD_STORE | Should -BeLike "$root*"
        [Environment]::GetFolderPath('LocalApplicationData') | Should -BeLike "$root*"
    }

    It 'gives a fresh pwsh the isolated default store' {
        $result = Invoke-FreshPwsh -ImportModule -Script '(Get-AuditStore).Path'
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[-1] | Should -Be (Get-IsolatedEnvironment).AUDITGUARD_STORE
        $result.Output[-1] | Should -BeLike "$root*"
    }

    It 'gives a fresh pwsh the isolated store even after a test changed this process''s environment' {
        $saved = $env:AUDITGUARD_STORE
        $env:AUDITGUARD_STORE = Join-Path $TestDrive 'leaked.db'
        try { $result = Invoke-FreshPwsh -Script '$env:AUDITGUARD_STORE; $env:XDG_DATA_HOME' }
        finally { $env:AUDITGUARD_STORE = $saved }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Be @((Get-IsolatedEnvironment).AUDITGUARD_STORE, (Get-IsolatedEnvironment).XDG_DATA_HOME)
    }

    It 'puts the per-user default store under the isolated data folder when no store is named' -Skip:$IsWindows {
        $result = Invoke-FreshPwsh -ImportModule -Script '[Environment]::GetFolderPath(''LocalApplicationData''); (Get-AuditStore).Path' -Environment @{ AUDITGUARD_STORE = '' }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[0] | Should -Be (Get-IsolatedEnvironment).XDG_DATA_HOME
        $result.Output[-1] | Should -Be (Join-Path (Get-IsolatedEnvironment).XDG_DATA_HOME 'AuditGuard/audit.db')
    }

    It 'lets a test name its own store for a child' {
        $own = Join-Path $TestDrive 'own.db'
        $result = Invoke-FreshPwsh -ImportModule -Script '(Get-AuditStore).Path' -Environment @{ AUDITGUARD_STORE = $own }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output[-1] | Should -Be $own
    }
}
