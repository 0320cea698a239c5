# What users call directly. AuditGuard never calls these: it calls the nested
# HostsFile.AuditGuardConnector module, through the connector contract.

function Get-HostsFileEntry {
    <#
    .SYNOPSIS
        The lines of a hosts-format file that name a host.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $HostName
    )
    $name = $HostName.ToLowerInvariant()
    foreach ($line in [IO.File]::ReadAllLines((Resolve-Path -LiteralPath $Path).ProviderPath)) {
        $fields = ($line -replace '#.*$', '').Trim() -split '\s+'
        if ($fields.Count -ge 2 -and ($fields[1..($fields.Count - 1)] | ForEach-Object ToLowerInvariant) -contains $name) {
            [pscustomobject]@{ Address = $fields[0]; Names = $fields[1..($fields.Count - 1)]; Line = $line }
        }
    }
}
