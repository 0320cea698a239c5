using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>
/// A recorded secret is an HMAC under the store's own secret key (the <c>.secret.key</c> file
/// beside it), never under a key anyone could know: with a fixed key, every recorded password
/// could be guessed offline. Each expected value is recomputed here from that file, so any
/// other key fails.
/// </summary>
public sealed class SecretKeyingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_guarded_write_records_each_secret_as_an_HMAC_under_the_stores_secret_key_file()
    {
        var path = _temp.File("secrets.db");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var token = "token-" + Guid.NewGuid().ToString("N");
        var credentialPassword = "cred-" + Guid.NewGuid().ToString("N");
        JsonObject parameters;
        using (var session = GuardSession.OpenFile(path, new GuardSessionOptions()))
        {
            var request = new OperationRequest("Script", null, "vault/app", new Dictionary<string, object?>
            {
                ["Password"] = password,
                ["ApiToken"] = new NetworkCredential("", token).SecurePassword,
                ["Credential"] = new SecretValue("svc-deploy", new NetworkCredential("", credentialPassword).SecurePassword),
                ["Mode"] = "rotate",
            }, new ScriptAction("rotate", ["Password", "ApiToken", "Credential", "Mode"], _ => []), null, "rotate the app's secrets", null, null, null,
                ActorIdentity.Current(null));
            var view = session.ExecuteOperation(session.PlanOperation(request, ProcessScriptHost.Instance), out var failure);
            Assert.Null(failure);
            var intent = session.ReadRecords(new RecordFilter { Sequences = [view.Records[0]] }).Single();
            parameters = JsonNode.Parse(intent.Body)!["intent"]!["parameters"]!.AsObject();
        }

        var key = File.ReadAllBytes(LocalKeyFiles.Beside(path).SecretKeyPath);
        Assert.Equal(32, key.Length);
        // A secret by name is keyed over its canonical JSON; a SecureString over its text; a
        // credential over its user name, a line feed and its password.
        Assert.Equal(Hmac(key, "\"" + password + "\""), RecordedHash(parameters, "Password"));
        Assert.Equal(Hmac(key, token), RecordedHash(parameters, "ApiToken"));
        Assert.Equal(Hmac(key, "svc-deploy\n" + credentialPassword), RecordedHash(parameters, "Credential"));
        Assert.Equal("rotate", (string?)parameters["Mode"]);
    }

    [Fact]
    public void Two_stores_record_the_same_secret_differently_so_one_stores_records_say_nothing_about_anothers()
    {
        var recorded = new List<string>();
        foreach (var name in new[] { "one.db", "two.db" })
        {
            var path = _temp.File(name);
            using var session = GuardSession.OpenFile(path, new GuardSessionOptions());
            var request = new OperationRequest("Script", null, "vault/app", new Dictionary<string, object?> { ["Password"] = "the same secret" },
                new ScriptAction("use", ["Password"], _ => []), null, "same secret", null, null, null, ActorIdentity.Current(null));
            var view = session.RecordDryRun(session.PlanOperation(request, ProcessScriptHost.Instance));
            var body = JsonNode.Parse(session.ReadRecords(new RecordFilter { Sequences = [view.Records[0]] }).Single().Body)!;
            var hash = RecordedHash(body["intent"]!["parameters"]!.AsObject(), "Password");
            Assert.Equal(Hmac(File.ReadAllBytes(LocalKeyFiles.Beside(path).SecretKeyPath), "\"the same secret\""), hash);
            recorded.Add(hash);
        }

        Assert.NotEqual(recorded[0], recorded[1]);
    }

    private static string RecordedHash(JsonObject parameters, string name)
    {
        var hash = (string?)parameters[name]!["hmacSha256"];
        Assert.NotNull(hash);
        return hash;
    }

    private static string Hmac(byte[] key, string message) => Hex.Lower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message)));
}
