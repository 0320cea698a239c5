BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:isRoot = Test-IsRoot
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

# Real members of a real group, each in a pwsh of their own: what -Group promises is only proven
# by users the kernel tells apart. Making users and groups needs root, as CI runs.
Describe 'A store shared with a group' -Skip:(-not $isRoot) {
    BeforeAll {
        $script:team = 'auditguard-team'
        $script:members = 'auditguard-m1', 'auditguard-m2'
        $script:outsider = 'auditguard-other'
        foreach ($command in 'groupadd', 'useradd', 'runuser', 'stat') {
            if (-not (Get-Command $command -ErrorAction Ignore)) { throw "$command is needed to act as members of a group." }
        }
        if (-not (getent group $team)) { groupadd $team | Out-Null }
        foreach ($user in $members + $outsider) {
            if (-not (id -u $user 2>$null)) { useradd --no-create-home --shell /usr/sbin/nologin $user | Out-Null }
        }
        foreach ($user in $members) { usermod --append --groups $team $user | Out-Null }

        # Everything the members run must be theirs to read: PowerShell and the module, copied out of root's home.
        $script:base = (New-Item -ItemType Directory -Path "/tmp/auditguard-group-$([guid]::NewGuid().ToString('N'))").FullName
        chmod 755 $base
        $script:pwshCopy = Join-Path $base 'pwsh'
        cp -al $PSHOME $pwshCopy 2>$null
        if ($LASTEXITCODE -ne 0) { cp -r $PSHOME $pwshCopy }
        $script:moduleCopy = Join-Path $base 'AuditGuard'
        Copy-Item -Recurse (Get-AuditGuardModulePath) $moduleCopy
        chmod -R a+rX $pwshCopy $moduleCopy
        $script:dotnet = (Get-Command dotnet).Source | ForEach-Object { (Get-Item $_).ResolvedTarget ?? $_ }
        runuser -u $outsider -- test -x $dotnet
        if ($LASTEXITCODE -ne 0) { throw "The dotnet host '$dotnet' is not usable by other users, so no member can run PowerShell." }

        $script:shared = Join-Path $base 'team'
        New-Item -ItemType Directory -Path $shared | Out-Null
        chgrp $team $shared
        chmod 3770 $shared
        $script:store = Join-Path $shared 'audit.db'

        function Invoke-AsUser([string] $User, [string] $Script) {
            $userHome = Join-Path $base "home-$User"
            if (-not (Test-Path $userHome)) {
                New-Item -ItemType Directory -Path $userHome | Out-Null
                chown "${User}:" $userHome
                chmod 700 $userHome
            }
            $output = runuser -u $User -- env "HOME=$userHome" "DOTNET_CLI_HOME=$userHome" "XDG_DATA_HOME=$userHome/data" "AUDITGUARD_STORE=$userHome/default.db" `
                DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 $dotnet (Join-Path $pwshCopy 'pwsh.dll') -NoProfile -NonInteractive -Command `
                "Set-Location '$userHome'; Import-Module '$moduleCopy/AuditGuard.psd1'; $Script" 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
        }

        $script:created = Invoke-AsUser $members[0] @"
`$info = Connect-AuditStore -Path '$store' -Group $team -PassThru
'group:' + `$info.Group
(Invoke-GuardedWrite -Connector Script -Target 'team/app' -ScriptBlock { } -Reason 'first member').State
"@
        $script:joined = Invoke-AsUser $members[1] @"
`$info = Connect-AuditStore -Path '$store' -PassThru
'group:' + `$info.Group + ':' + `$info.IsReadOnly
(Invoke-GuardedWrite -Connector Script -Target 'team/app' -ScriptBlock { } -Reason 'second member').State
'valid:' + (Test-AuditChain).IsValid
`$log = Get-Item '$store-wal'
'log:' + `$log.UnixMode + ':' + `$log.Group
'actors:' + ((Get-Operation | ForEach-Object { `$_.Actor -replace '^.*\\', '' }) -join ',')
"@
    }

    AfterAll {
        if ($base) { Remove-Item -Recurse -Force $base -ErrorAction Ignore }
    }

    It 'is created by a member, for the group' {
        $created.ExitCode | Should -Be 0 -Because ($created.Output -join "`n")
        $created.Output | Should -Be @("group:$team", 'Closed')
    }

    It 'is written and verified by another member, under their own name' {
        $joined.ExitCode | Should -Be 0 -Because ($joined.Output -join "`n")
        $joined.Output | Should -Contain "group:${team}:False"
        $joined.Output | Should -Contain 'Closed'
        $joined.Output | Should -Contain 'valid:True'
        # The log this member's write made is the group's too (the folder's setgid bit), or the next member could not open the store.
        $joined.Output | Should -Contain "log:-rw-rw----:$team"
        ($joined.Output | Where-Object { $_ -like 'actors:*' }) | Should -BeLike "actors:*$($members[0])*$($members[1])*"
    }

    It 'gives the database, its keys and its lock folder to the group, and nothing to other users' {
        $modes = foreach ($file in $store, "$store.signer.pfx", "$store.secret.key", "$store.running") { stat -c '%a %G' $file }
        $modes | Should -Be @("660 $team", "640 $team", "640 $team", "3770 $team")
        # The lock folder is the creator's, made before the store itself, so no member could make it first.
        stat -c '%U' "$store.running" | Should -Be $members[0]
    }

    It 'keeps out a user outside the group, who can neither read nor write it' {
        $count = sqlite3 $store 'SELECT count(*) FROM records;'
        $result = Invoke-AsUser $outsider @"
try { Connect-AuditStore -Path '$store' -ErrorAction Stop; (Get-AuditStore).RecordCount } catch { 'connect:' + `$_.FullyQualifiedErrorId }
"@
        $result.Output | Where-Object { $_ -like 'connect:*' } | Should -Not -BeNullOrEmpty -Because ($result.Output -join "`n")
        sqlite3 $store 'SELECT count(*) FROM records;' | Should -Be $count
    }

    It 'refuses a user outside the group who asks to share a store with it, creating nothing' {
        $result = Invoke-AsUser $outsider @"
try { Connect-AuditStore -Path ./mine.db -Group $team -ErrorAction Stop; 'connect:done' } catch { 'connect:' + `$_.FullyQualifiedErrorId }
Test-Path ./mine.db
"@
        $result.Output | Should -Be @('connect:AuditStoreGroupInvalid,AuditGuard.Cmdlets.ConnectAuditStoreCommand', 'False')
    }

    It 'keeps one member from swapping another member''s files for links' {
        # The folder is sticky: only a file's owner may rename or remove it, so a member cannot put a
        # link where the creator's database, key or lock folder is and have AuditGuard act on its target.
        foreach ($name in 'audit.db', 'audit.db.secret.key', 'audit.db.running') {
            runuser -u $members[1] -- mv (Join-Path $shared $name) (Join-Path $shared "$name.moved") 2>$null
            $LASTEXITCODE | Should -Not -Be 0 -Because "$name belongs to the member who created the store"
            Join-Path $shared $name | Should -Exist
        }
    }

    It 'refuses a lock folder a member placed before the store was created, and changes nothing it leads to' {
        $private = Join-Path $base 'creator-private.txt'
        Set-Content -Path $private -Value 'private'
        chown "$($members[0]):" $private
        chmod 600 $private
        $next = Join-Path $shared 'next.db'
        runuser -u $members[1] -- ln -s $private "$next.running"
        $result = Invoke-AsUser $members[0] @"
try { Connect-AuditStore -Path '$next' -Group $team -ErrorAction Stop; 'connect:done' } catch { 'connect:' + `$_.FullyQualifiedErrorId }
Test-Path '$next'
"@
        $result.Output | Should -Be @('connect:AuditStoreAdoptionRefused,AuditGuard.Cmdlets.ConnectAuditStoreCommand', 'False')
        stat -c '%a %G' $private | Should -Be "600 $($members[0])"
    }

    It 'refuses a folder that does not pass the group on to new files, and says how to prepare it' {
        $plain = Join-Path $base 'plain'
        New-Item -ItemType Directory -Path $plain | Out-Null
        chgrp $team $plain
        chmod 770 $plain
        $result = Invoke-AsUser $members[0] @"
try { Connect-AuditStore -Path '$plain/audit.db' -Group $team -ErrorAction Stop; 'connect:done' } catch { 'connect:' + `$_.FullyQualifiedErrorId; `$_.Exception.Message }
"@
        $result.Output[0] | Should -Be 'connect:AuditStoreFolderUnsafe,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        $result.Output[1] | Should -BeLike "*chmod 3770*"
        Get-ChildItem -Force $plain | Should -BeNullOrEmpty
    }

    It 'lets another member approve unsigned, as their own account, and never the member who asked' {
        $policy = Join-Path $base 'policy.psd1'
        Set-Content -LiteralPath $policy -Value @"
@{ Version = 1; ApproverGroups = @{ Team = @('$($members[0])', '$($members[1])') }
   Rules = @( @{ Id = 'team'; Connector = 'Script'; Effect = 'RequireApproval'; Approvals = 1; ApproverGroup = 'Team' } ) }
"@
        chmod a+r $policy
        $asked = Invoke-AsUser $members[0] @"
Connect-AuditStore -Path '$store'
Set-GuardPolicy -Path '$policy' -Reason 'team policy'
`$operation = Invoke-GuardedWrite -Connector Script -Target 'team/approved' -ScriptBlock { 'ran' } -Reason 'needs a second pair of eyes' -ErrorAction SilentlyContinue
'id:' + `$operation.OperationId
'state:' + `$operation.State
try { Approve-Operation -OperationId `$operation.OperationId -Reason 'my own' -ErrorAction Stop } catch { 'self:' + `$_.FullyQualifiedErrorId }
"@
        $asked.ExitCode | Should -Be 0 -Because ($asked.Output -join "`n")
        $id = ($asked.Output | Where-Object { $_ -like 'id:*' }) -replace '^id:'
        $asked.Output | Should -Contain 'state:PendingApproval'
        $asked.Output | Should -Contain 'self:OperationSelfApproval,AuditGuard.Cmdlets.ApproveOperationCommand'

        $approved = Invoke-AsUser $members[1] @"
Connect-AuditStore -Path '$store'
`$approved = Approve-Operation -OperationId '$id' -Reason 'read the script'
'state:' + `$approved.State
'assurance:' + `$approved.Approvals[0].Assurance + ':' + (`$approved.Approvals[0].Account -replace '^.*\\', '')
'resumed:' + (Resume-Operation -OperationId '$id').State
'valid:' + (Test-AuditChain).IsValid
"@
        $approved.ExitCode | Should -Be 0 -Because ($approved.Output -join "`n")
        $approved.Output | Should -Contain 'state:Approved'
        $approved.Output | Should -Contain "assurance:OsAccount:$($members[1])"
        $approved.Output | Should -Contain 'resumed:Closed'
        $approved.Output | Should -Contain 'valid:True'
    }
}
