using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AuditGuard.Engine.Evidence;

/// <summary>Each profile's controls, mapped to the bundle files that evidence them and the exceptions that concern them.</summary>
internal static class Controls
{
    private sealed record Control(string Id, string Title, string Evidence, string[] Files, string[] Exceptions);

    private static readonly string[] Integrity = ["records/", "certificates/", "verification.json", "checkpoints/", "manifest.json.p7s"];
    private static readonly string[] Changes = ["population/operations.csv", "operations/", "policy/"];
    private static readonly string[] Approvals = ["population/approvals.csv", "operations/", "policy/"];
    private static readonly string[] AllExceptions = ["BreakGlass", "Denied", "PolicyDenied", "Failed", "VerificationFailed", "Indeterminate", "Rollback", "Compensation"];

    private static readonly Dictionary<EvidenceProfile, (string Name, Control[] Controls)> Profiles = new()
    {
        [EvidenceProfile.Soc2] = ("SOC 2 (2017 Trust Services Criteria)",
        [
            new("CC8.1", "Changes are authorized, designed, tested, approved and implemented", "Every change in the period with its actor, reason, policy decision, approvals, before/after state and outcome; the policies in force.", Changes, ["BreakGlass", "PolicyDenied", "Denied", "Failed", "VerificationFailed", "Rollback", "Compensation"]),
            new("CC6.1", "Logical access is restricted to authorised users", "Who asked for each change, who approved it (signed approvals, m-of-n, never the requester), and the approver groups of the policies.", Approvals, ["BreakGlass", "Denied"]),
            new("CC7.2", "Anomalies are monitored and evaluated", "The chain's verification at export, the checkpoints, and the exception lists.", [.. Integrity, "exceptions/"], ["Indeterminate", "VerificationFailed", "Failed"]),
        ]),
        [EvidenceProfile.Iso27001] = ("ISO/IEC 27001:2022 Annex A",
        [
            new("A.8.15", "Logging", "Signed, hash-chained records of every change, checked at export and checkable offline.", Integrity, ["Indeterminate"]),
            new("A.8.32", "Change management", "Every change with its approvals, policy decision, verification and rollback.", [.. Changes, "population/approvals.csv"], ["BreakGlass", "PolicyDenied", "Failed", "VerificationFailed", "Rollback", "Compensation"]),
            new("A.5.3", "Segregation of duties", "Approvals never by the one who asked; break-glass writes and their reviews.", Approvals, ["BreakGlass", "Denied"]),
        ]),
        [EvidenceProfile.PciDss] = ("PCI DSS v4.0",
        [
            new("10.2", "Audit logs capture the events and details required", "Each change's who, what, when, where, outcome and reason.", ["records/", "population/operations.csv", "operations/"], ["Failed", "Indeterminate"]),
            new("10.3", "Audit logs are protected from destruction and unauthorised modification", "Detached CMS signatures on every record, the hash chain, checkpoints and the verification at export.", Integrity, []),
            new("10.5.1", "Audit log history is retained", "The period covered, the chain head and the checkpoints that anchor it.", ["manifest.json", "checkpoints/"], []),
        ]),
        [EvidenceProfile.Nist80053] = ("NIST SP 800-53 Rev. 5",
        [
            new("AU-9", "Protection of audit information", "Signed, hash-chained records; verification at export and offline.", Integrity, []),
            new("AU-10", "Non-repudiation", "Each record signed by the store's signer; approvals and requests signed by people's own certificates.", ["records/", "certificates/", "population/approvals.csv"], ["BreakGlass"]),
            new("CM-3", "Configuration change control", "Changes, their approvals, policy decisions, verification and rollbacks.", [.. Changes, "population/approvals.csv"], ["BreakGlass", "PolicyDenied", "Denied", "Failed", "VerificationFailed", "Rollback", "Compensation"]),
        ]),
        [EvidenceProfile.Internal] = ("Internal review",
        [
            new("CHANGES", "Every change and how it ended", "The population, per-operation folders and policies.", Changes, AllExceptions),
            new("APPROVALS", "Who approved what", "Approvals and the rules that asked for them.", Approvals, ["BreakGlass", "Denied"]),
            new("INTEGRITY", "The evidence is whole and unchanged", "Records, signatures, checkpoints and the verification at export.", Integrity, []),
        ]),
    };

    /// <summary>Writes controls/&lt;profile&gt;.md and controls/index.json; returns the index for the manifest.</summary>
    public static JsonArray Write(EvidenceProfile profile, IReadOnlyDictionary<string, int> exceptions, BundleEntries entries)
    {
        var (name, controls) = Profiles[profile];
        var index = new JsonArray();
        var text = new StringBuilder($"# {name}: controls and their evidence\n\nEach control below names the bundle files that evidence it, and the exceptions in the period that concern it. Exception lists are in `exceptions/`.\n");
        foreach (var control in controls)
        {
            var concerned = control.Exceptions.Select(k => (Kind: k, Count: exceptions.GetValueOrDefault(k))).ToList();
            text.Append(CultureInfo.InvariantCulture, $"\n## {control.Id} {control.Title}\n\n{control.Evidence}\n\nEvidence: {string.Join(", ", control.Files.Select(f => $"`{f}`"))}\n\n");
            text.Append(concerned.Count == 0 ? "Exceptions: none apply.\n"
                : "Exceptions: " + string.Join(", ", concerned.Select(c => $"{c.Kind} {c.Count}")) + (concerned.All(c => c.Count == 0) ? " (none in the period).\n" : ".\n"));
            index.Add(new JsonObject
            {
                ["id"] = control.Id,
                ["title"] = control.Title,
                ["evidence"] = new JsonArray(control.Files.Select(f => (JsonNode?)f).ToArray()),
                ["exceptions"] = new JsonObject(concerned.Select(c => KeyValuePair.Create(c.Kind, (JsonNode?)c.Count))),
            });
        }

        entries.Add($"controls/{profile}.md", Encoding.UTF8.GetBytes(text.ToString()));
        entries.Add("controls/index.json", Encoding.UTF8.GetBytes(new JsonObject { ["profile"] = profile.ToString(), ["framework"] = name, ["controls"] = index }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        return index.DeepClone().AsArray();
    }
}
