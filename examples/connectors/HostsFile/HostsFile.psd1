@{
    # A template for AuditGuard extension connectors: copy this folder, rename HostsFile
    # throughout, and change the functions in HostsFile.AuditGuardConnector.
    RootModule        = 'HostsFile.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '3b0c8f4e-6c1d-4a7e-9f52-1d7e0b6a9c41'
    Author            = 'AuditGuard contributors'
    Description       = 'AuditGuard connector for one entry (host name to address) of a hosts-format file.'
    PowerShellVersion = '7.4'
    NestedModules     = @('HostsFile.AuditGuardConnector/HostsFile.AuditGuardConnector.psd1')
    FunctionsToExport = @('Get-HostsFileEntry')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
