# Evidence bundles as an auditor takes them away: exported, then checked with Test-EvidenceBundle,
# with verify.sh, and by hand with openssl and sha256sum alone; every tampering named by both.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-AuditGuardModulePath) -Force

    function New-BundleStore([int] $Before = 0, [int] $After = 0) {
        Connect-AuditStore -Path (Join-Path $TestDrive "evidence-$([guid]::NewGuid()).db")
        $file = Join-Path $TestDrive "motd-$([guid]::NewGuid()).txt"
        Set-Content -LiteralPath $file -Value 'start' -NoNewline
        for ($i = 0; $i -lt $Before; $i++) { Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $file -Parameters @{ Value = "early $i" } -Reason "CHG-$i" | Out-Null }
        $script:scoped = Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $file -Parameters @{ Value = 'the change' } -Reason 'CHG-700 the audited change' -CorrelationId 'CHG-700'
        Invoke-GuardedWrite -Connector Script -Target 'svc/web' -Reason 'CHG-700 restart' -CorrelationId 'CHG-700' -ScriptBlock { throw 'did not come back' } -ErrorAction SilentlyContinue | Out-Null
        for ($i = 0; $i -lt $After; $i++) { Invoke-GuardedWrite -Connector FileSystem -Action SetContent -Target $file -Parameters @{ Value = "late $i" } -Reason "CHG-9$i" | Out-Null }
        New-AuditCheckpoint | Out-Null
    }

    function Expand-Bundle([string] $Zip) {
        $folder = Join-Path $TestDrive "unzipped-$([guid]::NewGuid())"
        Expand-Archive -LiteralPath $Zip -DestinationPath $folder
        $folder
    }

    function Invoke-VerifySh([string] $Folder, [hashtable] $Environment = @{}) {
        $prefix = ($Environment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value) " }) -join ''
        $output = bash -c "cd '$Folder' && ${prefix}sh verify.sh 2>&1"
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output -join "`n") }
    }

    function Set-ZipEntry([string] $Zip, [string] $Name, [byte[]] $Bytes) {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $archive = [IO.Compression.ZipFile]::Open($Zip, 'Update')
        try {
            $archive.GetEntry($Name)?.Delete()
            if ($null -ne $Bytes) {
                $stream = $archive.CreateEntry($Name).Open()
                try { $stream.Write($Bytes, 0, $Bytes.Length) } finally { $stream.Dispose() }
            }
        }
        finally { $archive.Dispose() }
    }
}

Describe 'Export-EvidenceBundle and its three verifiers' {
    BeforeAll {
        New-BundleStore
        $script:zip = Join-Path $TestDrive 'bundle.zip'
        $script:bundle = Export-EvidenceBundle -Path $zip -Profile Soc2
        $script:folder = Expand-Bundle $zip
    }

    It 'writes a bundle and says what it holds' {
        $bundle.Path | Should -Be $zip
        $bundle.Operations | Should -Be 2
        $bundle.Records | Should -Be ((Get-AuditStore).RecordCount)
        $bundle.Signer | Should -BeLike 'CN=AuditGuard store*'
        foreach ($name in 'manifest.json', 'manifest.json.p7s', 'SHA256SUMS', 'report.html', 'VERIFY.md', 'verify.sh', 'verification.json',
            'population/operations.csv', 'population/approvals.csv', 'exceptions/failed.csv', 'controls/Soc2.md', 'controls/index.json', 'policy/index.json',
            "operations/$($scoped.OperationId)/envelope.json", "operations/$($scoped.OperationId)/rollback.json") {
            Join-Path $folder $name | Should -Exist
        }
        (Import-Csv (Join-Path $folder 'exceptions/failed.csv')).reason | Should -Be 'CHG-700 restart'
        (Get-Content -Raw (Join-Path $folder 'controls/Soc2.md')) | Should -Match 'CC8\.1[\s\S]*CC6\.1[\s\S]*CC7\.2'
    }

    It 'verifies with Test-EvidenceBundle' {
        $result = Test-EvidenceBundle -Path $zip
        $result.IsValid | Should -BeTrue
        $result.RecordsChecked | Should -Be $bundle.Records
        $result.Verdicts.Kind | Should -Be @('Unanchored')
        $bundle | Test-EvidenceBundle -Quiet | Should -BeTrue
    }

    It 'verifies with verify.sh' {
        $run = Invoke-VerifySh $folder
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $run.Output | Should -Match 'The bundle verifies\.'
        $run.Output | Should -Match "$($bundle.Records) record signatures verify"
    }

    It 'verifies by hand with openssl and sha256sum alone' {
        Push-Location $folder
        try {
            openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -noverify -out /dev/null 2>&1 | Out-Null
            $LASTEXITCODE | Should -Be 0
            sha256sum -c --quiet SHA256SUMS
            $LASTEXITCODE | Should -Be 0
            Get-ChildItem certificates/*.pem | Get-Content | Set-Content (Join-Path $TestDrive 'signers.pem')
            openssl cms -verify -binary -inform DER -in records/1.p7s -content records/1.json -certfile (Join-Path $TestDrive 'signers.pem') -noverify -out /dev/null 2>&1 | Out-Null
            $LASTEXITCODE | Should -Be 0
            $previous = (sha256sum records/0.json) -split ' ' | Select-Object -First 1
            Get-Content -Raw records/1.json | Should -Match "`"prev`":`"$previous`""
        }
        finally { Pop-Location }
    }

    It 'refuses to write over an existing file, and -WhatIf writes nothing' {
        $before = (Get-Item $zip).LastWriteTimeUtc
        { Export-EvidenceBundle -Path $zip -ErrorAction Stop } | Should -Throw -ErrorId 'AuditExportTargetExists,AuditGuard.Cmdlets.ExportEvidenceBundleCommand'
        (Get-Item $zip).LastWriteTimeUtc | Should -Be $before
        Export-EvidenceBundle -Path (Join-Path $TestDrive 'whatif.zip') -WhatIf | Should -BeNullOrEmpty
        Join-Path $TestDrive 'whatif.zip' | Should -Not -Exist
    }
}

Describe 'A tampered bundle' {
    BeforeAll {
        New-BundleStore
        $script:clean = Join-Path $TestDrive 'clean.zip'
        Export-EvidenceBundle -Path $clean | Out-Null
        $script:foreign = New-TestCertificate -Subject 'CN=Mallory'
    }

    It 'is caught by both verifiers when <Case>' -ForEach @(
        @{ Case = 'a file is changed'; Kind = 'FileDigestMismatch'; Named = 'population/operations.csv'
           Tamper = { param($zip) Set-ZipEntry $zip 'population/operations.csv' ([Text.Encoding]::UTF8.GetBytes("operationId`r`nforged`r`n")) } }
        @{ Case = 'a file is removed'; Kind = 'FileMissing'; Named = 'report.html'; Tamper = { param($zip) Set-ZipEntry $zip 'report.html' $null } }
        @{ Case = 'a file is added'; Kind = 'FileUnexpected'; Named = 'exceptions/forgotten.csv'
           Tamper = { param($zip) Set-ZipEntry $zip 'exceptions/forgotten.csv' ([Text.Encoding]::UTF8.GetBytes('x')) } }
        @{ Case = 'the manifest is re-signed with a foreign key'; Kind = 'ManifestSignatureInvalid'; Named = 'manifest.json.p7s'
           Tamper = { param($zip)
               Add-Type -AssemblyName System.Security
               $archive = [IO.Compression.ZipFile]::OpenRead($zip)
               $reader = [IO.BinaryReader]::new($archive.GetEntry('manifest.json').Open()); $manifest = $reader.ReadBytes(16MB); $reader.Dispose(); $archive.Dispose()
               $cms = [Security.Cryptography.Pkcs.SignedCms]::new([Security.Cryptography.Pkcs.ContentInfo]::new($manifest), $true)
               $cms.ComputeSignature([Security.Cryptography.Pkcs.CmsSigner]::new($foreign), $true)
               Set-ZipEntry $zip 'manifest.json.p7s' $cms.Encode() } }
    ) {
        $zip = Join-Path $TestDrive "tampered-$([guid]::NewGuid()).zip"
        Copy-Item $clean $zip
        & $Tamper $zip

        $result = Test-EvidenceBundle -Path $zip
        $result.IsValid | Should -BeFalse
        ($result.Verdicts | Where-Object Kind -eq $Kind).File | Should -Contain $Named

        $run = Invoke-VerifySh (Expand-Bundle $zip)
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match ([regex]::Escape($Named) + '|signers')
    }

    It 'names an unsafe entry without writing it anywhere, and verify.sh refuses a link' {
        $zip = Join-Path $TestDrive 'unsafe.zip'
        Copy-Item $clean $zip
        Set-ZipEntry $zip '../../escaped.sh' ([Text.Encoding]::UTF8.GetBytes('echo pwned'))

        $result = Test-EvidenceBundle -Path $zip
        ($result.Verdicts | Where-Object Kind -eq 'UnsafeEntry').File | Should -Be '../../escaped.sh'
        Join-Path $TestDrive '../escaped.sh' | Should -Not -Exist
        Join-Path $TestDrive '../../escaped.sh' | Should -Not -Exist

        $folder = Expand-Bundle $clean
        New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'records/link.json') -Target '/etc/passwd' | Out-Null
        $run = Invoke-VerifySh $folder
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match 'records/link\.json'
    }
}

Describe 'A bundle signed with a person''s certificate' {
    It 'verifies only where the verifier names that exporter, by -Exporter or by fingerprint for verify.sh' {
        New-BundleStore
        $exporter = New-TestCertificate -Subject 'CN=Erin Auditor Liaison'
        $zip = Join-Path $TestDrive 'signed-by-erin.zip'
        $bundle = Export-EvidenceBundle -Path $zip -Certificate $exporter
        $bundle.SignerThumbprint | Should -Be $exporter.Thumbprint

        ((Test-EvidenceBundle -Path $zip).Verdicts | Where-Object Kind -eq 'ManifestSignatureInvalid').Message | Should -Match 'Erin Auditor Liaison'
        Test-EvidenceBundle -Path $zip -Exporter $exporter -Quiet | Should -BeTrue

        $folder = Expand-Bundle $zip
        (Invoke-VerifySh $folder).ExitCode | Should -Be 1
        $fingerprint = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($exporter.RawData)).ToLowerInvariant()
        $named = Invoke-VerifySh $folder @{ AUDITGUARD_EXPORTER = $fingerprint }
        $named.ExitCode | Should -Be 0 -Because $named.Output
        $named.Output | Should -Match 'the exporter you named'
    }
}

Describe 'A bundle of a scope in the middle of a long store' {
    It 'verifies on its own, anchored by its manifest and checkpoints' {
        New-BundleStore -Before 25 -After 25
        $zip = Join-Path $TestDrive 'middle.zip'
        $bundle = Export-EvidenceBundle -Path $zip -CorrelationId 'CHG-700'

        $bundle.FromSequence | Should -BeGreaterThan 40
        $bundle.Operations | Should -Be 2
        (Test-EvidenceBundle -Path $zip).IsValid | Should -BeTrue
        $folder = Expand-Bundle $zip
        (Invoke-VerifySh $folder).ExitCode | Should -Be 0
        $manifest = Get-Content -Raw (Join-Path $folder 'manifest.json') | ConvertFrom-Json
        $manifest.anchorHash | Should -Match '^[0-9a-f]{64}$'
        $manifest.checkpoints.Count | Should -BeGreaterThan 0
        $manifest.chainHead.sequence | Should -Be ((Get-AuditStore).HeadSequence)
        Join-Path $folder 'records/3.json' | Should -Not -Exist
    }
}

Describe 'The report, as a reader sees it' {
    BeforeAll {
        $script:chromium = (Get-Command chromium, chromium-browser -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
    }

    It 'renders in headless Chromium with the key facts, at laptop width and as a PDF, and asks for nothing outside itself' {
        $chromium | Should -Not -BeNullOrEmpty -Because 'build.ps1 -Task Test installs Chromium'
        New-BundleStore
        $zip = Join-Path $TestDrive 'report.zip'
        Export-EvidenceBundle -Path $zip -Profile Iso27001 | Out-Null
        $folder = Expand-Bundle $zip
        $report = Join-Path $folder 'report.html'
        $html = Get-Content -Raw $report
        $html | Should -Not -Match '(src|href)\s*=\s*"(https?:)?//'
        $html | Should -Match "Content-Security-Policy"

        $profileDir = Join-Path $TestDrive "chromium-$([guid]::NewGuid())"
        $common = @('--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', "--user-data-dir=$profileDir", '--window-size=1366,900')
        $dom = & $chromium @common '--dump-dom' "file://$report" 2>$null | Out-String
        $shot = Join-Path $TestDrive 'report.png'
        & $chromium @common "--screenshot=$shot" "file://$report" 2>$null | Out-Null
        $pdf = Join-Path $TestDrive 'report.pdf'
        & $chromium @common '--no-pdf-header-footer' "--print-to-pdf=$pdf" "file://$report" 2>$null | Out-Null

        $dom | Should -Match 'Evidence report'
        $dom | Should -Match 'Operations in scope</span><b[^>]*>2<'
        $dom | Should -Match 'Chain verifies'
        $dom | Should -Match 'Writes that failed'
        $dom | Should -Match 'CHG-700 the audited change'
        $shot | Should -Exist
        (Get-Item $shot).Length | Should -BeGreaterThan 10KB
        $pdf | Should -Exist
        [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($pdf), 0, 5) | Should -Be '%PDF-'
    }
}
