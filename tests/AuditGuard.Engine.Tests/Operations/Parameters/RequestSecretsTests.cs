using System.Collections;
using System.Net;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Engine.Tests.Operations.Parameters;

/// <summary>The one rule for what a request holds secret, and what is scrubbed from its other texts.</summary>
public sealed class RequestSecretsTests
{
    private static RequestSecrets Of(Hashtable parameters, string[]? marked = null) => new(ParameterValues.Convert(parameters), marked);

    [Fact]
    public void A_secret_name_without_a_value_is_no_secret_and_any_secret_value_is_one()
    {
        Assert.False(Of(new Hashtable { ["Password"] = null, ["Name"] = "web01" }).Any);
        Assert.True(Of(new Hashtable { ["Password"] = "" }).Any);
        Assert.True(Of(new Hashtable { ["Anything"] = new NetworkCredential("", "pa55").SecurePassword }).Any);
        Assert.True(Of(new Hashtable { ["Settings"] = new Hashtable { ["Inner"] = new object[] { new Hashtable { ["token"] = "t" } } } }).Any);
        Assert.True(Of(new Hashtable { ["Value"] = "v" }, ["Value"]).Any);
    }

    [Fact]
    public void Every_kind_of_secret_value_is_scrubbed_from_other_text_however_deep()
    {
        var secrets = Of(new Hashtable
        {
            ["Credential"] = new SecretValue("svc", new NetworkCredential("", "cred-value-1").SecurePassword),
            ["Key"] = new NetworkCredential("", "secure-value-2").SecurePassword,
            ["Settings"] = new Hashtable { ["password"] = "nested-value-3" },
            ["Items"] = new object[] { new Hashtable { ["token"] = "listed-value-4" } },
            ["Pin"] = 4711,
            ["ApiKeyIssued"] = new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc),
        });

        var scrubbed = secrets.Scrub("cred-value-1 secure-value-2 nested-value-3 listed-value-4 4711 2026-01-02");

        Assert.Equal("[secret] [secret] [secret] [secret] [secret] 2026-01-02", scrubbed);
    }

    [Fact]
    public void A_secret_that_contains_another_is_masked_whole_and_four_characters_are_enough_to_be_scrubbed()
    {
        var secrets = Of(new Hashtable { ["Password"] = "abcd", ["Token"] = "abcdefgh", ["Pin"] = "xyz" });

        Assert.Equal("[secret] and [secret] but xyz", secrets.Scrub("abcdefgh and abcd but xyz"));
        Assert.True(secrets.Contains("ABCD"));
        Assert.False(secrets.Contains("xyz"));
    }
}
