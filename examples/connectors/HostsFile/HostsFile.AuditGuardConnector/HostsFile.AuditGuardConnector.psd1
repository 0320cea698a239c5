@{
    RootModule        = 'HostsFile.AuditGuardConnector.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = 'c5e2a7d0-84f3-4b19-a6c2-7e9d3f1b0a58'
    Author            = 'AuditGuard contributors'
    Description       = 'The AuditGuard connector contract for HostsFile.'
    PowerShellVersion = '7.4'
    FunctionsToExport = @(
        'Get-ConnectorCapability'
        'Resolve-ConnectorTarget'
        'Test-ConnectorIntent'
        'Get-ConnectorState'
        'Get-ConnectorPreview'
        'Invoke-ConnectorAction'
        'Test-ConnectorState'
        'Restore-ConnectorState'
    )
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
