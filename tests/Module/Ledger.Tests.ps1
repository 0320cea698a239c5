BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function New-StoreWithCheckpoints([string] $Name, [int] $Count = 3) {
        $path = Join-Path $TestDrive $Name
        Connect-AuditStore -Path $path
        for ($i = 0; $i -lt $Count; $i++) { $null = New-AuditCheckpoint }
        $path
    }

    function Get-RecordCount([string] $Path) { [int](sqlite3 $Path 'SELECT count(*) FROM records') }
}

Describe 'Reading records' {
    BeforeAll {
        $script:path = New-StoreWithCheckpoints 'read.db' 5
        Set-AuditStoreSetting -Name CheckpointInterval -Value 500
    }

    It 'returns every record, oldest first, with its exact body, hash and signer' {
        Connect-AuditStore -Path $path
        $records = Get-AuditRecord
        $records.Sequence | Should -Be (0..6)
        $records[0].Type | Should -Be 'store.created'
        $records[-1].Type | Should -Be 'settings.changed'
        foreach ($record in $records) {
            $record.PSObject.TypeNames[0] | Should -Be 'AuditGuard.Cmdlets.AuditRecord'
            $hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($record.Body))).ToLowerInvariant()
            $record.Hash | Should -Be $hash
            $record.Signature | Should -Not -BeNullOrEmpty
            $record.SignerCertificate.Subject | Should -BeLike 'CN=AuditGuard store *'
        }
        for ($i = 1; $i -lt $records.Count; $i++) { $records[$i].PreviousHash | Should -Be $records[$i - 1].Hash }
    }

    It 'filters by sequence, range, type, first and last' {
        Connect-AuditStore -Path $path
        (Get-AuditRecord -Sequence 2, 4).Sequence | Should -Be @(2, 4)
        (Get-AuditRecord -FromSequence 2 -ToSequence 3).Sequence | Should -Be @(2, 3)
        (Get-AuditRecord -Type checkpoint).Sequence | Should -Be (1..5)
        (Get-AuditRecord -First 2).Sequence | Should -Be @(0, 1)
        (Get-AuditRecord -Last 2).Sequence | Should -Be @(5, 6)
        (Get-AuditRecord -Type checkpoint -Last 1).Sequence | Should -Be 5
        Get-AuditRecord -Since ([datetime]::UtcNow.AddMinutes(5)) | Should -BeNullOrEmpty
        @(Get-AuditRecord -Until ([datetime]::UtcNow.AddMinutes(5))).Count | Should -Be 7
    }

    It 'reports a named record that does not exist as a non-terminating error' {
        Connect-AuditStore -Path $path
        $found = Get-AuditRecord -Sequence 1, 999 -ErrorVariable missing -ErrorAction SilentlyContinue
        $found.Sequence | Should -Be 1
        $missing.Count | Should -Be 1
        $missing[0].FullyQualifiedErrorId | Should -Be 'AuditRecordNotFound,AuditGuard.Cmdlets.GetAuditRecordCommand'
        $missing[0].TargetObject | Should -Be 999
    }

    It 'matches record types whatever their case, and refuses -First with -Last' {
        Connect-AuditStore -Path $path
        (Get-AuditRecord -Type Checkpoint).Count | Should -Be 5
        { Get-AuditRecord -First 1 -Last 1 } | Should -Throw -ErrorId 'AuditRecordFilterConflict,AuditGuard.Cmdlets.GetAuditRecordCommand'
    }

    It 'takes sequences from the pipeline by property name' {
        Connect-AuditStore -Path $path
        (Get-AuditRecord -Type checkpoint -First 2 | Get-AuditRecord).Sequence | Should -Be @(1, 2)
    }
}

Describe 'The interop promise: a record checks out with sha256sum and openssl alone' {
    It 'verifies an exported record signed by the store''s own key with -noverify' {
        $null = New-StoreWithCheckpoints 'interop.db' 2
        $folder = Join-Path $TestDrive 'interop-evidence'
        $files = Export-AuditRecord -Sequence 2 -Path $folder
        $files.Name | Should -Be @('2.json', '2.p7s', '2.signer.pem')
        $record = Get-AuditRecord -Sequence 2
        (sha256sum (Join-Path $folder '2.json')) -split ' ' | Select-Object -First 1 | Should -Be $record.Hash
        openssl cms -verify -binary -inform DER -in (Join-Path $folder '2.p7s') -content (Join-Path $folder '2.json') `
            -certfile (Join-Path $folder '2.signer.pem') -noverify -out /dev/null 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0

        Set-Content -Path (Join-Path $folder '2.json') -Value ((Get-Content -Raw (Join-Path $folder '2.json')) -replace 'checkpoint', 'checkpoinT') -NoNewline
        openssl cms -verify -binary -inform DER -in (Join-Path $folder '2.p7s') -content (Join-Path $folder '2.json') `
            -certfile (Join-Path $folder '2.signer.pem') -noverify -out /dev/null 2>&1 | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'verifies a CA-issued signer with -CAfile, and Test-AuditChain reports the chain''s trust honestly' {
        $ca = New-TestCertificate -Subject 'CN=AuditGuard Test Root CA' -CertificateAuthority -KeyUsage 'KeyCertSign, CrlSign' -NotAfter ([datetimeoffset]::UtcNow.AddDays(60))
        $leaf = New-TestCertificate -Subject 'CN=Change signer, O=AuditGuard tests' -Issuer $ca
        $caPem = Join-Path $TestDrive 'root.pem'
        Set-Content -Path $caPem -Value $ca.ExportCertificatePem()

        $store = Join-Path $TestDrive 'ca-signed.db'
        Connect-AuditStore -Path $store -SigningCertificate $leaf
        "$store.signer.pfx" | Should -Not -Exist
        $null = New-AuditCheckpoint
        $folder = Join-Path $TestDrive 'ca-evidence'
        $null = Export-AuditRecord -Sequence 1 -Path $folder
        openssl cms -verify -binary -inform DER -in (Join-Path $folder '1.p7s') -content (Join-Path $folder '1.json') `
            -certfile (Join-Path $folder '1.signer.pem') -CAfile $caPem -out /dev/null 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0

        (Test-AuditChain -TrustedRoot $ca).TrustLevel | Should -Be 'TrustedChain'
        (Test-AuditChain).TrustLevel | Should -Be 'Untrusted'
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}

Describe 'Test-AuditChain' {
    It 'finds an edited body and names the first bad sequence' {
        $path = New-StoreWithCheckpoints 'tampered.db' 4
        Disconnect-AuditStore
        sqlite3 $path "DROP TRIGGER records_append_only_update; UPDATE records SET body = CAST(replace(CAST(body AS TEXT), '`"headSeq`":1', '`"headSeq`":7') AS BLOB) WHERE seq = 2;"
        Connect-AuditStore -Path $path
        $result = Test-AuditChain
        $result.IsValid | Should -BeFalse
        $first = $result.Verdicts | Where-Object Severity -eq 'Error' | Select-Object -First 1
        $first.Kind | Should -Be 'BodyHashMismatch'
        $first.Sequence | Should -Be 2
        $first.Message | Should -Not -BeNullOrEmpty
        Test-AuditChain -Quiet | Should -BeFalse
    }

    It 'catches a deleted tail against a witness kept elsewhere' {
        $path = New-StoreWithCheckpoints 'witnessed.db' 4
        $witness = Join-Path $TestDrive 'elsewhere/witness.json'
        New-Item -ItemType Directory (Split-Path $witness) | Out-Null
        $files = Export-AuditCheckpoint -Path $witness
        $files.Name | Should -Be @('witness.json', 'witness.json.p7s')
        $clean = Test-AuditChain -Witness $witness
        $clean.IsValid | Should -BeTrue
        $clean.Verdicts | Should -BeNullOrEmpty
        { Export-AuditCheckpoint -Path $witness } | Should -Throw -ErrorId 'AuditExportTargetExists,AuditGuard.Cmdlets.ExportAuditCheckpointCommand'

        Disconnect-AuditStore
        # Someone who can write the file deletes the tail, making the append-only trigger again so the schema looks untouched.
        $guard = (sqlite3 $path "SELECT sql FROM sqlite_master WHERE name = 'records_append_only_delete'") -join "`n"
        "DROP TRIGGER records_append_only_delete; DELETE FROM records WHERE seq >= 3; $guard;" | sqlite3 $path
        Connect-AuditStore -Path $path
        (Test-AuditChain).IsValid | Should -BeTrue
        $result = Test-AuditChain -Witness $witness
        $result.IsValid | Should -BeFalse
        $result.Verdicts[0].Kind | Should -Be 'Truncated'
        $result.Verdicts[0].File | Should -Be $witness
    }

    It 'reports a witness that cannot be written with a stable ErrorId' {
        $null = New-StoreWithCheckpoints 'unwritable-witness.db' 1
        { Export-AuditCheckpoint -Path (Join-Path $TestDrive 'no/such/folder/witness.json') } |
            Should -Throw -ErrorId 'AuditExportFailed,AuditGuard.Cmdlets.ExportAuditCheckpointCommand'
    }

    It 'verifies a range and reports the unanchored warning without making the chain invalid' {
        $null = New-StoreWithCheckpoints 'range.db' 6
        $result = Test-AuditChain -FromSequence 2 -ToSequence 4
        $result.IsValid | Should -BeTrue
        $result.RecordsChecked | Should -Be 3
        $result.HeadSequence | Should -Be 4
        $result.Verdicts.Kind | Should -Be 'Unanchored'
        $result.Verdicts.Severity | Should -Be 'Warning'
    }
}

Describe '-WhatIf on the default store' {
    It 'names the store as its target and creates nothing' {
        $store = Join-Path $TestDrive 'never-created.db'
        $result = Invoke-FreshPwsh -ImportModule -Environment @{ AUDITGUARD_STORE = $store } -Script @'
New-AuditCheckpoint -WhatIf
Set-AuditStoreSetting -Name CheckpointInterval -Value 5 -WhatIf
Revoke-AuditSigner -Fingerprint ('ab' * 32) -WhatIf
'@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $result.Output | Should -Match ([regex]::Escape($store))
        $store | Should -Not -Exist
        "$store.signer.pfx" | Should -Not -Exist
    }
}

Describe 'Store settings' {
    It 'changes a setting by appending a settings.changed record' {
        $null = New-StoreWithCheckpoints 'settings.db' 1
        $info = Set-AuditStoreSetting -Name checkpointinterval -Value 2 -PassThru
        $info.Settings.CheckpointInterval | Should -Be 2
        $last = Get-AuditRecord -Type settings.changed -Last 1
        $body = $last.Body | ConvertFrom-Json
        $body.name | Should -Be 'CheckpointInterval'
        $body.value | Should -Be 2
        $null = New-AuditCheckpoint
        (Get-AuditStore).Settings.CheckpointInterval | Should -Be 2
    }

    It 'refuses <Name> = <Value> and writes nothing' -ForEach @(
        @{ Name = 'NoSuchSetting'; Value = 5; ErrorId = 'AuditStoreSettingUnknown' }
        @{ Name = 'CheckpointInterval'; Value = 0; ErrorId = 'AuditStoreSettingInvalid' }
        @{ Name = 'CheckpointInterval'; Value = 'often'; ErrorId = 'AuditStoreSettingInvalid' }
    ) {
        $path = New-StoreWithCheckpoints "bad-setting-$ErrorId-$Value.db" 1
        $before = Get-RecordCount $path
        { Set-AuditStoreSetting -Name $Name -Value $Value } | Should -Throw -ErrorId "$ErrorId,AuditGuard.Cmdlets.SetAuditStoreSettingCommand"
        Get-RecordCount $path | Should -Be $before
    }
}

Describe 'Signers' {
    It 'opens a copy without its keys read-only: reading and verification work, appends fail' {
        $original = New-StoreWithCheckpoints 'original.db' 2
        Disconnect-AuditStore
        $copy = Join-Path $TestDrive 'auditor-copy.db'
        Copy-Item $original $copy
        Connect-AuditStore -Path $copy -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -Match 'read-only'
        (Get-AuditStore).IsReadOnly | Should -BeTrue
        (Test-AuditChain).IsValid | Should -BeTrue
        @(Get-AuditRecord).Count | Should -Be 3
        { New-AuditCheckpoint } | Should -Throw -ErrorId 'SignerKeyUnavailable,AuditGuard.Cmdlets.NewAuditCheckpointCommand'
        Get-RecordCount $copy | Should -Be 3
    }

    It 'rotates to a new certificate with a record signed by the outgoing key' {
        $path = New-StoreWithCheckpoints 'rotate.db' 1
        $old = (Get-AuditStore).SignerFingerprint
        $next = New-AuditSigningCertificate -Subject 'CN=Next signer' -Path (Join-Path $TestDrive 'next.pfx') -KeyAlgorithm EcdsaP384
        $next.HasPrivateKey | Should -BeTrue
        Set-AuditSigner -SigningCertificate $next -WhatIf
        (Get-AuditStore).SignerFingerprint | Should -Be $old

        $info = Set-AuditSigner -SigningCertificatePath (Join-Path $TestDrive 'next.pfx') -Confirm:$false -PassThru
        $info.Signer | Should -Be 'CN=Next signer'
        $rotation = Get-AuditRecord -Type signer.rotated
        $rotation.Signer | Should -Be $old
        (New-AuditCheckpoint).Signer | Should -Be $info.SignerFingerprint
        (Test-AuditChain).IsValid | Should -BeTrue

        Disconnect-AuditStore
        Connect-AuditStore -Path $path -WarningAction SilentlyContinue
        (Get-AuditStore).IsReadOnly | Should -BeTrue
        Connect-AuditStore -Path $path -SigningCertificatePath (Join-Path $TestDrive 'next.pfx')
        (Get-AuditStore).IsReadOnly | Should -BeFalse
    }

    Context 'Bad signing certificates are refused with a stable ErrorId, and the store is unchanged' {
        BeforeAll {
            $script:store = New-StoreWithCheckpoints 'guarded.db' 1
            $script:count = Get-RecordCount $store
            $pfx = Join-Path $TestDrive 'protected.pfx'
            $password = ConvertTo-SecureString 'correct horse' -AsPlainText -Force
            $null = New-AuditSigningCertificate -Subject 'CN=Protected' -Path $pfx -Password $password
        }

        AfterEach {
            Get-RecordCount $store | Should -Be $count
            # The refused connect leaves no store connected, not the one it was asked for nor the default.
            { Get-AuditStore } | Should -Throw -ErrorId 'AuditStoreNotConnected,AuditGuard.Cmdlets.GetAuditStoreCommand'
        }

        It 'a wrong PFX password' {
            { Connect-AuditStore -Path $store -SigningCertificatePath (Join-Path $TestDrive 'protected.pfx') -SigningCertificatePassword (ConvertTo-SecureString 'wrong' -AsPlainText -Force) } |
                Should -Throw -ErrorId 'SigningCertificatePasswordInvalid,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'an expired certificate' {
            $expired = New-TestCertificate -NotBefore ([datetimeoffset]::UtcNow.AddDays(-30)) -NotAfter ([datetimeoffset]::UtcNow.AddDays(-1))
            { Connect-AuditStore -Path $store -SigningCertificate $expired } | Should -Throw -ErrorId 'SigningCertificateExpired,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'a certificate that is not yet valid' {
            $future = New-TestCertificate -NotBefore ([datetimeoffset]::UtcNow.AddDays(2)) -NotAfter ([datetimeoffset]::UtcNow.AddDays(30))
            { Connect-AuditStore -Path $store -SigningCertificate $future } | Should -Throw -ErrorId 'SigningCertificateNotYetValid,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'a certificate without its private key' {
            $public = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new((New-TestCertificate).RawData)
            { Connect-AuditStore -Path $store -SigningCertificate $public } | Should -Throw -ErrorId 'SigningCertificateNoPrivateKey,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'a key usage that forbids signing' {
            $encryptOnly = New-TestCertificate -KeyUsage KeyEncipherment -RsaBits 2048
            { Connect-AuditStore -Path $store -SigningCertificate $encryptOnly } | Should -Throw -ErrorId 'SigningCertificateKeyUsageForbidsSigning,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'an RSA key under 2048 bits' {
            $weak = New-TestCertificate -RsaBits 1024
            { Connect-AuditStore -Path $store -SigningCertificate $weak } | Should -Throw -ErrorId 'SigningCertificateKeyTooSmall,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }

        It 'a certificate that is not the store''s registered signer' {
            { Connect-AuditStore -Path $store -SigningCertificate (New-TestCertificate -Subject 'CN=Stranger') } |
                Should -Throw -ErrorId 'SignerNotRegistered,AuditGuard.Cmdlets.ConnectAuditStoreCommand'
        }
    }
}

Describe 'Concurrency and durability' {
    It 'keeps one contiguous, unforked, valid chain when four processes really append at the same time' {
        $path = New-StoreWithCheckpoints 'shared.db' 0
        Disconnect-AuditStore
        # Each process connects first, then all wait on one barrier, so the appends overlap
        # instead of following each other as the processes happen to start.
        $workers = Invoke-ConcurrentPwsh -Count 4 -BarrierFolder (Join-Path $TestDrive 'append-barrier') `
            -Setup "Connect-AuditStore -Path '$path'" -Script '1..25 | ForEach-Object { (New-AuditCheckpoint).Sequence }'

        foreach ($worker in $workers) {
            $worker.ExitCode | Should -Be 0 -Because $worker.Error
            $worker.Output | Should -HaveCount 25
        }
        # The work really overlapped: every process had started before the first one finished.
        ($workers.Started | Measure-Object -Maximum).Maximum | Should -BeLessThan ($workers.Finished | Measure-Object -Minimum).Minimum
        # Every append got a sequence of its own, and together they fill 1..100.
        $returned = @($workers.Output | ForEach-Object { [long]$_ } | Sort-Object)
        $returned | Should -Be (1..100)

        Connect-AuditStore -Path $path
        $records = @(Get-AuditRecord)
        $records.Sequence | Should -Be (0..100)
        for ($i = 1; $i -lt $records.Count; $i++) { $records[$i].PreviousHash | Should -Be $records[$i - 1].Hash }
        @($records.PreviousHash | Sort-Object -Unique).Count | Should -Be $records.Count
        (Test-AuditChain).IsValid | Should -BeTrue
    }

    It 'leaves a store that verifies, with every returned append, after a SIGKILL mid-append' {
        $path = New-StoreWithCheckpoints 'killed.db' 0
        Disconnect-AuditStore
        $log = Join-Path $TestDrive 'returned.log'
        $script = "Import-Module '$(Get-AuditGuardModulePath)'; Connect-AuditStore -Path '$path'; " +
            "`$log = [IO.File]::AppendText('$log'); `$log.AutoFlush = `$true; while (`$true) { `$log.WriteLine((New-AuditCheckpoint).Sequence) }"
        $child = Start-Process -FilePath (Get-PwshPath) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ([datetime]::UtcNow -lt $deadline -and (-not (Test-Path $log) -or @(Get-Content $log).Count -lt 30)) { Start-Sleep -Milliseconds 100 }
        # SIGKILL on Unix, TerminateProcess on Windows: no chance to clean up.
        Stop-Process -Id $child.Id -Force
        $child.WaitForExit()

        $returned = @(Get-Content $log | Where-Object { $_ } | ForEach-Object { [long]$_ })
        $returned.Count | Should -BeGreaterOrEqual 30
        Connect-AuditStore -Path $path
        $stored = (Get-AuditRecord).Sequence
        foreach ($sequence in $returned) { $stored | Should -Contain $sequence }
        $stored | Should -Be (0..$stored[-1])
        (Test-AuditChain).IsValid | Should -BeTrue
    }
}

Describe 'A signer piped from another store' {
    BeforeAll {
        # Stores A (connected) and B, with a new certificate for each subject registered as a signer in both.
        function New-StoresSharingSigners([string] $Name, [string[]] $Subject) {
            $stores = @{ A = Join-Path $TestDrive "$Name-a.db"; B = Join-Path $TestDrive "$Name-b.db" }
            Connect-AuditStore -Path $stores.B
            Connect-AuditStore -Path $stores.A
            for ($i = 0; $i -lt $Subject.Count; $i++) {
                $certificate = New-AuditSigningCertificate -Subject $Subject[$i] -Path (Join-Path $TestDrive "$Name-$i.pfx")
                $null = Add-AuditSigner -Certificate $certificate -Confirm:$false
                $null = Add-AuditSigner -Certificate $certificate -Store $stores.B -Confirm:$false
            }
            $stores
        }

        # The signer of that subject in the store named, or in the connected one.
        function Get-SignerBySubject([string] $Subject, [string] $Store) {
            $named = if ($Store) { @{ Store = $Store } } else { @{} }
            Get-AuditSigner @named | Where-Object Subject -eq $Subject
        }
    }

    It 'is revoked in the store it came from, never in the connected one' {
        $stores = New-StoresSharingSigners 'piped' 'CN=Shared host'

        $revoked = Get-SignerBySubject 'CN=Shared host' $stores.B | Revoke-AuditSigner -Confirm:$false

        $revoked.Store | Should -Be $stores.B
        (Get-SignerBySubject 'CN=Shared host' $stores.B).IsActive | Should -BeFalse
        (Get-SignerBySubject 'CN=Shared host').IsActive | Should -BeTrue
        (Get-AuditStore).Path | Should -Be $stores.A
    }

    It 'goes each to its own store in one pipeline, and a plain fingerprint after it to the connected store' {
        $stores = New-StoresSharingSigners 'mixed' 'CN=Host x', 'CN=Host y'
        $xFromB = Get-SignerBySubject 'CN=Host x' $stores.B
        $xFromA = Get-SignerBySubject 'CN=Host x'
        $yFingerprint = (Get-SignerBySubject 'CN=Host y').Fingerprint

        $revoked = $xFromB, $xFromA, $yFingerprint | Revoke-AuditSigner -Confirm:$false

        $revoked.Store | Should -Be $stores.B, $stores.A, $stores.A
        (Get-SignerBySubject 'CN=Host x' $stores.B).IsActive | Should -BeFalse
        (Get-SignerBySubject 'CN=Host x').IsActive | Should -BeFalse
        (Get-SignerBySubject 'CN=Host y').IsActive | Should -BeFalse
        (Get-SignerBySubject 'CN=Host y' $stores.B).IsActive | Should -BeTrue
    }

    It 'is refused when -Store names another store' {
        $stores = New-StoresSharingSigners 'conflict' 'CN=Other host'
        $fromA = Get-SignerBySubject 'CN=Other host'

        { $fromA | Revoke-AuditSigner -Store $stores.B -Confirm:$false } | Should -Throw -ErrorId 'AuditStoreSelectionConflict,AuditGuard.Cmdlets.RevokeAuditSignerCommand'

        (Get-SignerBySubject 'CN=Other host' $stores.B).IsActive | Should -BeTrue
        (Get-SignerBySubject 'CN=Other host').IsActive | Should -BeTrue
    }
}
