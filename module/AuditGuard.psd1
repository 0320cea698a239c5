@{
    RootModule             = 'AuditGuard.Cmdlets.dll'
    ModuleVersion          = '{{ModuleVersion}}'
    CompatiblePSEditions   = @('Core')
    GUID                   = '6f0d3c2e-9a41-4f7e-b5d8-2c1e7a9b4d53'
    Author                 = 'AuditGuard contributors'
    CompanyName            = 'AuditGuard'
    Copyright              = '(c) AuditGuard contributors. All rights reserved.'
    Description            = 'Guarded administrative writes with -WhatIf previews, approvals, rollback contracts and a CMS-signed, hash-chained, append-only evidence ledger in SQLite.'
    PowerShellVersion      = '7.4'
    FormatsToProcess       = @('AuditGuard.format.ps1xml')
    CmdletsToExport        = @(
        'Backup-AuditStore'
        'Connect-AuditStore'
        'Disconnect-AuditStore'
        'Export-AuditCheckpoint'
        'Export-AuditRecord'
        'Get-AuditRecord'
        'Get-AuditStore'
        'Get-GuardConnector'
        'Get-Operation'
        'Invoke-GuardedWrite'
        'New-AuditCheckpoint'
        'New-AuditSigningCertificate'
        'Repair-Operation'
        'Set-AuditSigner'
        'Set-AuditStoreSetting'
        'Test-AuditChain'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Audit', 'Compliance', 'Ledger', 'WhatIf', 'ChangeManagement', 'Evidence', 'SQLite', 'CMS', 'Linux', 'Windows', 'MacOS')
            ReleaseNotes = 'See the README for what this version provides.'
        }
    }
}
