Set-StrictMode -Version Latest

# A throwaway PostgreSQL server for the tests of the central store: a new cluster in a temp
# folder, on a free loopback port, with password authentication over TCP (so the tests use
# real credentials), stopped and removed when the tests end, whatever their result.

function Find-PostgresBin {
    $onPath = Get-Command initdb -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($onPath) { return Split-Path $onPath.Source }
    $installed = Get-ChildItem '/usr/lib/postgresql/*/bin/initdb' -ErrorAction Ignore |
        Sort-Object { [int]($_.Directory.Parent.Name -replace '\D', '') } -Descending | Select-Object -First 1
    if ($installed) { return $installed.DirectoryName }
    $null
}

function Test-IsRoot { -not $IsWindows -and (id -u) -eq '0' }

function Install-PostgresWhenMissing {
    if (Find-PostgresBin) { return $null }
    if (-not $IsLinux) { return 'PostgreSQL is not installed (initdb not found) and is installed automatically only on Debian.' }
    if (-not (Test-IsRoot)) { return 'PostgreSQL is not installed (initdb not found), and installing it needs root.' }
    if (-not (Get-Command apt-get -ErrorAction Ignore)) { return 'PostgreSQL is not installed (initdb not found), and this is not a Debian system with apt-get.' }
    Write-Host 'Installing PostgreSQL for the central store tests'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get update -q | Out-Host
    & apt-get install -y -q --no-install-recommends postgresql | Out-Host
    if (-not (Find-PostgresBin)) { return "apt-get could not install PostgreSQL (exit code $LASTEXITCODE)." }
    $null
}

function Get-FreePort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Invoke-AsServerUser([string] $program, [string[]] $arguments) {
    if (Test-IsRoot) {
        # initdb and postgres refuse to run as root.
        & runuser -u postgres -- $program @arguments
    }
    else {
        & $program @arguments
    }
    if ($LASTEXITCODE -ne 0) { throw "$(Split-Path -Leaf $program) failed with exit code $LASTEXITCODE." }
}

<#
.SYNOPSIS
    Starts a throwaway PostgreSQL cluster. Returns an object with the superuser's ConnectionString
    and the Folder to pass to Stop-TestPostgres, or one with SkipReason when no server can be had.
.PARAMETER Durable
    Keep fsync on, as a real server runs: for the bench, whose commit rates mean nothing without it.
    The tests leave it off for speed.
#>
function Start-TestPostgres([switch] $Durable, [switch] $NoInstall) {
    $reason = $NoInstall ? ((Find-PostgresBin) ? $null : 'PostgreSQL is not installed (initdb not found).') : (Install-PostgresWhenMissing)
    if ($reason) { return [pscustomobject]@{ ConnectionString = $null; Folder = $null; Bin = $null; SkipReason = $reason } }
    if ((Test-IsRoot) -and -not (Get-Command runuser -ErrorAction Ignore)) {
        return [pscustomobject]@{ ConnectionString = $null; Folder = $null; Bin = $null; SkipReason = 'running as root without runuser: the server cannot be started as the postgres user.' }
    }

    $bin = Find-PostgresBin
    $folder = Join-Path ([IO.Path]::GetTempPath()) "auditguard-pg-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $folder | Out-Null
    $data = Join-Path $folder 'data'
    $password = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(16))
    $passwordFile = Join-Path $folder 'password'
    Set-Content -Path $passwordFile -Value $password -NoNewline
    if (Test-IsRoot) { & chown -R postgres $folder }
    & chmod 700 $folder
    $port = Get-FreePort
    try {
        Invoke-AsServerUser (Join-Path $bin 'initdb') @('-D', $data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
            "--pwfile=$passwordFile", '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync') | Out-Null
        [IO.File]::Delete($passwordFile)
        $options = "-h 127.0.0.1 -p $port -k $folder$($Durable ? '' : ' -c fsync=off') -c max_connections=200"
        Invoke-AsServerUser (Join-Path $bin 'pg_ctl') @('-D', $data, '-o', $options, '-l', (Join-Path $folder 'server.log'), '-w', '-t', '60', 'start') | Out-Null
    }
    catch {
        Stop-TestPostgres -Server ([pscustomobject]@{ Folder = $folder; Bin = $bin })
        return [pscustomobject]@{ ConnectionString = $null; Folder = $null; Bin = $null; SkipReason = "the throwaway PostgreSQL server did not start: $_" }
    }
    [pscustomobject]@{
        ConnectionString = "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
        Port             = $port
        Password         = $password
        Folder           = $folder
        Bin              = $bin
        SkipReason       = $null
    }
}

function Stop-TestPostgres([Parameter(Mandatory)] $Server) {
    if (-not $Server.Folder) { return }
    $data = Join-Path $Server.Folder 'data'
    if (Test-Path (Join-Path $data 'postmaster.pid')) {
        try { Invoke-AsServerUser (Join-Path $Server.Bin 'pg_ctl') @('-D', $data, '-m', 'immediate', '-w', 'stop') | Out-Null }
        catch { Write-Warning "The throwaway PostgreSQL server did not stop cleanly: $_" }
    }
    Remove-Item -Recurse -Force $Server.Folder -ErrorAction Ignore
}

Export-ModuleMember -Function Start-TestPostgres, Stop-TestPostgres
