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
        'Add-AuditSigner'
        'Approve-Operation'
        'Backup-AuditStore'
        'Connect-AuditStore'
        'Deny-Operation'
        'Disconnect-AuditStore'
        'Export-AuditCheckpoint'
        'Export-AuditRecord'
        'Export-EvidenceBundle'
        'Export-OperationRequest'
        'Get-AuditRecord'
        'Get-AuditSigner'
        'Get-AuditStore'
        'Get-GuardConnector'
        'Get-GuardPolicy'
        'Get-Operation'
        'Import-OperationApproval'
        'Initialize-AuditDatabase'
        'Invoke-GuardedWrite'
        'New-AuditCheckpoint'
        'New-AuditSigningCertificate'
        'Register-GuardConnector'
        'Repair-Operation'
        'Resume-Operation'
        'Revoke-AuditSigner'
        'Set-AuditSigner'
        'Set-AuditStoreSetting'
        'Set-GuardPolicy'
        'Sync-AuditStore'
        'Test-AuditChain'
        'Test-EvidenceBundle'
        'Test-GuardPolicy'
        'Undo-Operation'
        'Unregister-GuardConnector'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Audit', 'Compliance', 'Ledger', 'WhatIf', 'ChangeManagement', 'Evidence', 'SQLite', 'PostgreSQL', 'CMS', 'Linux', 'Windows', 'MacOS')
            ReleaseNotes = 'See the README for what this version provides.'
        }
    }
}
