#Requires -Version 7.4
<#
.SYNOPSIS
    A walk through AuditGuard on a throwaway store; build.ps1 -Task Demo runs it in a fresh session.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

function Write-Step([string] $text) { Write-Host "`n== $text" -ForegroundColor Cyan }

# Never the user's default store: a folder of its own, removed at the end.
$work = Join-Path ([IO.Path]::GetTempPath()) "auditguard-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $work | Out-Null
try {
    Import-Module $ModulePath
    Write-Step "Imported AuditGuard $((Get-Module AuditGuard).Version): $((Get-Command -Module AuditGuard).Name -join ', ')"

    $storePath = Join-Path $work 'audit.db'
    Write-Step "Connect-AuditStore -Path $storePath -PassThru   (creates the store)"
    Connect-AuditStore -Path $storePath -PassThru | Format-List | Out-Host

    Write-Step 'Get-AuditStore   (the session''s current store)'
    Get-AuditStore | Format-List | Out-Host

    if (-not $IsWindows) {
        Write-Step 'The store and its log are readable by their owner only'
        Get-ChildItem $work | Format-Table Name, UnixMode, Length | Out-Host
    }

    Write-Step 'A file that is not a store is refused with a stable ErrorId, and left untouched'
    $notAStore = Join-Path $work 'notes.txt'
    Set-Content $notAStore 'meeting notes, not a database'
    try { Connect-AuditStore -Path $notAStore } catch { Write-Host "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    Write-Host "notes.txt still reads: $(Get-Content $notAStore)"
}
finally {
    Remove-Module AuditGuard -ErrorAction Ignore
    Remove-Item -Recurse -Force $work
    Write-Host "`nRemoved the throwaway store in $work"
}
