# The AuditGuard connector contract for one entry of a hosts-format file (docs/connectors.md).
#
# A target is 'path#hostname'. The connector changes the lines of the file that name the host,
# and its state is the whole file, so undo restores it byte for byte, and a change to any line
# since the write is drift that undo will not overwrite without -Force. AuditGuard records the
# state before and after each write, and Restore-ConnectorState puts a recorded state back.
#
# Every function gets plain values (strings, booleans, hashtables) and returns plain values; it
# throws (or writes an error) to refuse, and AuditGuard records the refusal. A state is
# @{ Exists = [bool]; Content = [string]; Summary = [string] }; AuditGuard adds Digest when it
# hands one back.

Set-StrictMode -Version Latest

function Get-ConnectorCapability {
    [CmdletBinding()]
    param()
    @{
        Name           = 'HostsFile'
        Description    = 'One entry (host name to address) of a hosts-format file such as /etc/hosts.'
        TargetKind     = 'PathAndFragment'
        SupportsDryRun = $true
        DryRunFidelity = 'Exact'
        SupportsRollback = $true
        RollbackMethod = 'SnapshotRestore'
        RollbackWindow = '7.00:00:00'
        Actions        = @(
            @{ Name = 'Set'; Description = 'Maps the host name to an address, replacing the lines that named it.'; DefaultRisk = 'Medium'
               Parameters = @( @{ Name = 'Address'; Required = $true; Description = 'An IPv4 or IPv6 address.' } ) }
            @{ Name = 'Remove'; Description = 'Removes the lines that name the host.'; DefaultRisk = 'Medium'; Parameters = @() }
        )
        Limitations    = @(
            'A line naming the host among other names is replaced whole: its other names go with it, and come back on undo.'
            'Comments and the order of other lines are kept; the entry is written at the end of the file.'
            'The state is the whole file: a change to any line since a write is drift, which undo does not overwrite without -Force.'
        )
    }
}

function Resolve-ConnectorTarget {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Target)
    $path, $hostName = Split-Target $Target
    "$path#$hostName"
}

function Test-ConnectorIntent {
    [CmdletBinding()]
    param([string] $Action, [string] $Target, [hashtable] $Parameters)
    $path, $null = Split-Target $Target
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { throw "The hosts file '$path' does not exist." }
    if ($Action -eq 'Set') {
        $address = $null
        if (-not [System.Net.IPAddress]::TryParse([string]$Parameters.Address, [ref]$address)) { throw "'$($Parameters.Address)' is not an IP address." }
    }
}

function Get-ConnectorState {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Target)
    $path, $hostName = Split-Target $Target
    State $path $hostName
}

function Get-ConnectorPreview {
    [CmdletBinding()]
    param([string] $Action, [string] $Target, [hashtable] $Parameters, [hashtable] $Before)
    $null, $hostName = Split-Target $Target
    $text = New-Text $Before.Content $hostName (Get-Entry $Action $Parameters $hostName)
    @{
        Summary = if ($Action -eq 'Set') { "Maps $hostName to $($Parameters.Address) (now $($Before.Summary))." } else { "Removes $hostName (now $($Before.Summary))." }
        After   = @{ Exists = $true; Content = $text; Summary = Get-Summary $text $hostName }
    }
}

function Invoke-ConnectorAction {
    [CmdletBinding()]
    param([string] $Action, [string] $Target, [hashtable] $Parameters, [hashtable] $Before)
    $path, $hostName = Split-Target $Target
    Write-Text $path (New-Text $Before.Content $hostName (Get-Entry $Action $Parameters $hostName))
}

function Test-ConnectorState {
    [CmdletBinding()]
    param([string] $Action, [string] $Target, [hashtable] $Parameters, [hashtable] $Before, [hashtable] $After)
    $null, $hostName = Split-Target $Target
    $After.Exists -and $After.Content -ceq (New-Text $Before.Content $hostName (Get-Entry $Action $Parameters $hostName))
}

function Restore-ConnectorState {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Target, [Parameter(Mandatory)] [hashtable] $State)
    $path, $null = Split-Target $Target
    if ($State.Exists) { Write-Text $path $State.Content } else { Remove-Item -LiteralPath $path -Force }
}

# Helpers: not exported, so not part of the contract.

function Split-Target([string] $Target) {
    $hash = $Target.LastIndexOf('#')
    if ($hash -lt 1 -or $hash -eq $Target.Length - 1) { throw "The target '$Target' is not 'path#hostname'." }
    $hostName = $Target.Substring($hash + 1).ToLowerInvariant()
    if ($hostName -notmatch '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$') { throw "'$hostName' is not a host name." }
    [IO.Path]::GetFullPath($Target.Substring(0, $hash)), $hostName
}

function Test-Names([string] $Line, [string] $HostName) {
    $fields = @(($Line -replace '#.*$', '').Trim() -split '\s+' | Where-Object { $_ })
    $fields.Count -ge 2 -and (@($fields[1..($fields.Count - 1)] | ForEach-Object ToLowerInvariant) -contains $HostName)
}

function Get-Entry([string] $Action, [hashtable] $Parameters, [string] $HostName) {
    if ($Action -eq 'Set') { @("$($Parameters.Address)`t$HostName") } else { @() }
}

# The file's text with the lines naming the host replaced by the entry, at the end; its line
# endings and final newline kept as they were.
function New-Text([string] $Text, [string] $HostName, [string[]] $Entry) {
    $newline = if ($Text -match "`r`n") { "`r`n" } else { "`n" }
    $lines = [System.Collections.Generic.List[string]]@($Text -split '\r?\n')
    $final = $Text.Length -eq 0 -or $Text.EndsWith("`n")
    if ($final -and $lines.Count -gt 0 -and $lines[$lines.Count - 1] -eq '') { $lines.RemoveAt($lines.Count - 1) }
    $kept = @($lines | Where-Object { -not (Test-Names $_ $HostName) }) + $Entry
    ($kept -join $newline) + $(if ($final -and $kept.Count -gt 0) { $newline } else { '' })
}

function Get-Summary([string] $Text, [string] $HostName) {
    $named = @($Text -split '\r?\n' | Where-Object { Test-Names $_ $HostName })
    if ($named.Count -eq 0) { 'absent' } else { ($named -join '; ') -replace '\s+', ' ' }
}

function State([string] $Path, [string] $HostName) {
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return @{ Exists = $false; Content = ''; Summary = 'no file' } }
    $text = [IO.File]::ReadAllText($Path)
    @{ Exists = $true; Content = $text; Summary = Get-Summary $text $HostName }
}

function Write-Text([string] $Path, [string] $Text) {
    # Written to a new file of a random name beside the target (never through a link someone
    # planted there), then moved over it, so a reader never sees half a file.
    $temporary = Join-Path ([IO.Path]::GetDirectoryName($Path)) ".$([IO.Path]::GetFileName($Path)).$([guid]::NewGuid().ToString('N')).tmp"
    $stream = [IO.File]::Open($temporary, [IO.FileMode]::CreateNew, [IO.FileAccess]::Write)
    try { $stream.Write([Text.UTF8Encoding]::new($false).GetBytes($Text)) } finally { $stream.Dispose() }
    if (-not $IsWindows -and (Test-Path -LiteralPath $Path)) { [IO.File]::SetUnixFileMode($temporary, [IO.File]::GetUnixFileMode($Path)) }
    [IO.File]::Move($temporary, $Path, $true)
}

Export-ModuleMember -Function Get-ConnectorCapability, Resolve-ConnectorTarget, Test-ConnectorIntent, Get-ConnectorState, Get-ConnectorPreview,
    Invoke-ConnectorAction, Test-ConnectorState, Restore-ConnectorState
