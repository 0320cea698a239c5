using System.Diagnostics;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

/// <summary>
/// The design's promise: anyone can check a record with the stock openssl command. Runs the
/// system openssl on files written exactly as an auditor would extract them.
/// </summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private static readonly byte[] Body = """{"prev":"0000","seq":0,"signer":"ab","store":"x","time":"2026-01-02T03:04:05.678Z","type":"store.created","v":1}"""u8.ToArray();

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(SigningKeyAlgorithm.EcdsaP256)]
    [InlineData(SigningKeyAlgorithm.EcdsaP384)]
    [InlineData(SigningKeyAlgorithm.Rsa2048)]
    [InlineData(SigningKeyAlgorithm.Rsa3072)]
    public void Openssl_verifies_a_self_signed_signature_and_rejects_a_tampered_body(SigningKeyAlgorithm algorithm)
    {
        using var certificate = SigningCertificateFactory.CreateSelfSigned("CN=AuditGuard interop", algorithm, TimeSpan.FromDays(1), TimeProvider.System);
        using var key = SigningKey.FromCertificate(certificate, TimeProvider.System);
        WriteRecord(key, Body);

        var (exitCode, output) = Verify("-noverify");
        Assert.True(exitCode == 0, output);

        WriteTamperedBody();
        Assert.NotEqual(0, Verify("-noverify").ExitCode);
    }

    [Fact]
    public void Openssl_verifies_a_ca_issued_signer_against_its_root_and_rejects_a_tampered_body()
    {
        using var authority = TestCertificates.CertificateAuthority();
        using var leaf = TestCertificates.IssuedBy(authority);
        using var key = SigningKey.FromCertificate(leaf, TimeProvider.System);
        WriteRecord(key, Body);
        TestCertificates.WritePem(authority, _temp.File("ca.pem"));

        var (exitCode, output) = Verify("-CAfile", _temp.File("ca.pem"));
        Assert.True(exitCode == 0, output);

        WriteTamperedBody();
        Assert.NotEqual(0, Verify("-CAfile", _temp.File("ca.pem")).ExitCode);
    }

    [Fact]
    public void Openssl_rejects_a_ca_issued_signer_against_another_root()
    {
        using var authority = TestCertificates.CertificateAuthority();
        using var stranger = TestCertificates.CertificateAuthority("CN=Another test CA");
        using var leaf = TestCertificates.IssuedBy(authority);
        using var key = SigningKey.FromCertificate(leaf, TimeProvider.System);
        WriteRecord(key, Body);
        TestCertificates.WritePem(stranger, _temp.File("ca.pem"));

        Assert.NotEqual(0, Verify("-CAfile", _temp.File("ca.pem")).ExitCode);
    }

    private void WriteRecord(SigningKey key, byte[] body)
    {
        File.WriteAllBytes(_temp.File("body.json"), body);
        File.WriteAllBytes(_temp.File("sig.der"), key.SignDetached(body, DateTimeOffset.UtcNow));
        TestCertificates.WritePem(key.Certificate, _temp.File("signer.pem"));
    }

    private void WriteTamperedBody()
    {
        var tampered = Body.ToArray();
        tampered[Array.IndexOf(tampered, (byte)'0')] = (byte)'1';
        File.WriteAllBytes(_temp.File("body.json"), tampered);
    }

    private (int ExitCode, string Output) Verify(params string[] trust)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "cms", "-verify", "-binary", "-inform", "DER", "-in", _temp.File("sig.der"), "-content", _temp.File("body.json"), "-certfile", _temp.File("signer.pem") }.Concat(trust).Concat(["-out", OperatingSystem.IsWindows() ? "NUL" : "/dev/null"]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start.");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
