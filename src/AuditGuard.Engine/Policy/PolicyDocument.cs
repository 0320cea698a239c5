using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Policy;

/// <summary>
/// A policy as data: its default effect, approver groups and rules, validated whole when it is
/// loaded (every problem is reported, each with its rule and key, and nothing loads while one
/// remains). Its canonical JSON form is what a store records and what <see cref="Digest"/> names,
/// so the same rules read from a file or from the ledger are one policy.
/// </summary>
public sealed partial class PolicyDocument
{
    public const int CurrentVersion = 1;

    /// <summary>An approval counts for a day unless the rule says otherwise.</summary>
    public static readonly TimeSpan DefaultApprovalExpiry = TimeSpan.FromDays(1);

    /// <summary>A break-glass write is reviewed within a day unless the rule says otherwise.</summary>
    public static readonly TimeSpan DefaultReviewWithin = TimeSpan.FromDays(1);

    private static readonly string[] TopKeys = ["Version", "Description", "DefaultEffect", "ApproverGroups", "Rules"];

    private static readonly string[] RuleKeys =
    [
        "Id", "Description", "Connector", "Action", "Target", "Risk", "Actor", "ActorGroup", "DaysOfWeek", "Hours", "TimeZone",
        "Effect", "Approvals", "ApproverGroup", "ApprovalExpiry", "RequireSignedApproval", "RequireRollback", "AllowBreakGlass", "ReviewWithin",
    ];

    private PolicyDocument(PolicyEffect defaultEffect, string? description, IReadOnlyDictionary<string, IReadOnlyList<PolicyMember>> groups,
        IReadOnlyList<PolicyRule> rules, byte[] canonical)
    {
        DefaultEffect = defaultEffect;
        Description = description;
        ApproverGroups = groups;
        Rules = rules;
        Canonical = canonical;
        Digest = Hex.Lower(SHA256.HashData(canonical));
    }

    public PolicyEffect DefaultEffect { get; }

    public string? Description { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<PolicyMember>> ApproverGroups { get; }

    public IReadOnlyList<PolicyRule> Rules { get; }

    /// <summary>The policy's canonical JSON (RFC 8785): what is recorded, and what <see cref="Digest"/> hashes.</summary>
    public byte[] Canonical { get; }

    /// <summary>Lowercase hex SHA-256 of <see cref="Canonical"/>: the policy digest every decision names.</summary>
    public string Digest { get; }

    /// <summary>
    /// Loads a policy from plain data (string-keyed dictionaries, lists, strings, whole numbers,
    /// booleans), as a .psd1 file reads; PolicyInvalid lists every problem when it is not a valid policy.
    /// </summary>
    public static PolicyDocument Load(IReadOnlyDictionary<string, object?> data, string source)
    {
        var loader = new Loader();
        var document = loader.Read(data);
        return loader.Problems.Count > 0 || document is null ? throw PolicyErrors.Invalid(source, loader.Problems) : document;
    }

    /// <summary>A policy from its recorded canonical JSON, checked exactly as a file is.</summary>
    public static PolicyDocument FromCanonical(byte[] canonical, string source)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(canonical) as JsonObject ?? throw PolicyErrors.Invalid(source, ["it is not a JSON object"]);
        }
        catch (JsonException e)
        {
            throw PolicyErrors.Invalid(source, [$"it is not JSON ({e.Message})"]);
        }

        var document = Load((IReadOnlyDictionary<string, object?>)FromJson(json)!, source);
        return document.Canonical.AsSpan().SequenceEqual(canonical) ? document
            : throw PolicyErrors.Invalid(source, ["its recorded form is not the canonical form of the rules it holds"]);
    }

    private static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => FromJson(p.Value), StringComparer.OrdinalIgnoreCase) as IReadOnlyDictionary<string, object?>,
        JsonArray array => array.Select(FromJson).ToArray(),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>(),
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        _ => node.ToJsonString(),
    };

    /// <summary>A duration as policies write it, <c>[d.]hh:mm:ss</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        return DurationForm().IsMatch(text) && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }

    public static string FormatDuration(TimeSpan duration) => duration.ToString("c", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\d{1,5}\.)?\d{2}:[0-5]\d:[0-5]\d$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationForm();

    [GeneratedRegex(@"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex HoursForm();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameForm();

    /// <summary>Reads and checks the data, collecting every problem rather than stopping at the first.</summary>
    private sealed class Loader
    {
        public List<string> Problems { get; } = [];

        public PolicyDocument? Read(IReadOnlyDictionary<string, object?> data)
        {
            UnknownKeys(data, TopKeys, "the policy");
            var version = Get(data, "Version");
            if (version is null)
            {
                Problems.Add($"the policy, key 'Version': it is missing; write Version = {CurrentVersion}");
            }
            else if (AsInteger(version) != CurrentVersion)
            {
                Problems.Add($"the policy, key 'Version': {Show(version)} is not a version this AuditGuard reads (it reads {CurrentVersion})");
            }

            var description = Text(data, "Description", "the policy");
            var defaultEffect = Get(data, "DefaultEffect") is null ? PolicyEffect.Allow : Effect(data, "DefaultEffect", "the policy");
            if (defaultEffect == PolicyEffect.RequireApproval)
            {
                Problems.Add("the policy, key 'DefaultEffect': it is Allow or Deny; a rule says who approves (a rule without matchers matches every write)");
            }

            var groups = Groups(Get(data, "ApproverGroups"));
            var rules = new List<PolicyRule>();
            var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var rawRules = Get(data, "Rules");
            var list = rawRules is null ? [] : AsList(rawRules);
            if (list is null)
            {
                Problems.Add("the policy, key 'Rules': it is a list of hashtables, @( @{ Id = ...; Effect = ... }, ... )");
                list = [];
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is not IReadOnlyDictionary<string, object?> rule)
                {
                    Problems.Add($"rule {i + 1}: it is not a hashtable (@{{ Id = ...; Effect = ... }})");
                    continue;
                }

                if (Get(rule, "Id") is string id && !ids.Add(id))
                {
                    Problems.Add($"rule '{id}', key 'Id': another rule has the same id");
                }

                if (Rule(rule, i, groups) is { } read)
                {
                    rules.Add(read);
                }
            }

            return Problems.Count > 0 ? null : new PolicyDocument(defaultEffect, description, groups, rules, Canonicalise(defaultEffect, description, groups, rules));
        }

        private Dictionary<string, IReadOnlyList<PolicyMember>> Groups(object? raw)
        {
            var groups = new Dictionary<string, IReadOnlyList<PolicyMember>>(StringComparer.OrdinalIgnoreCase);
            if (raw is null)
            {
                return groups;
            }

            if (raw is not IReadOnlyDictionary<string, object?> table)
            {
                Problems.Add("the policy, key 'ApproverGroups': it is a hashtable of group name = list of members");
                return groups;
            }

            foreach (var (name, value) in table)
            {
                var where = $"approver group '{name}'";
                if (!NameForm().IsMatch(name))
                {
                    Problems.Add($"{where}: a group name is letters, digits, '.', '_' and '-'");
                    continue;
                }

                var members = new List<PolicyMember>();
                foreach (var item in AsList(value) ?? [value])
                {
                    if (item is not string text)
                    {
                        Problems.Add($"{where}: member {Show(item)} is not a string");
                    }
                    else if (PolicyMember.TryParse(text, out var problem) is { } member)
                    {
                        if (members.Any(m => m.Kind == member.Kind && string.Equals(m.Value, member.Value, StringComparison.OrdinalIgnoreCase)))
                        {
                            Problems.Add($"{where}: '{text}' is listed twice");
                        }
                        else
                        {
                            members.Add(member);
                        }
                    }
                    else
                    {
                        Problems.Add($"{where}: {problem}");
                    }
                }

                if (members.Count == 0 && !Problems.Any(p => p.StartsWith(where, StringComparison.Ordinal)))
                {
                    Problems.Add($"{where}: it has no members");
                }

                groups[name] = members;
            }

            return groups;
        }

        private PolicyRule? Rule(IReadOnlyDictionary<string, object?> rule, int index, Dictionary<string, IReadOnlyList<PolicyMember>> groups)
        {
            var id = Get(rule, "Id") as string;
            if (id is null || !NameForm().IsMatch(id))
            {
                Problems.Add($"rule {index + 1}, key 'Id': {(id is null ? "it is missing" : $"'{id}' is not a rule id")}; an id is letters, digits, '.', '_' and '-'");
                id = $"#{index + 1}";
            }

            var where = $"rule '{id}'";
            var before = Problems.Count;
            UnknownKeys(rule, RuleKeys, where);
            var effect = Get(rule, "Effect") is null ? (PolicyEffect?)null : Effect(rule, "Effect", where);
            if (Get(rule, "Effect") is null)
            {
                Problems.Add($"{where}, key 'Effect': it is missing; it is Allow, RequireApproval or Deny");
            }

            var isApproval = effect == PolicyEffect.RequireApproval;
            var approverGroup = Text(rule, "ApproverGroup", where);
            var approvals = Get(rule, "Approvals") is { } m ? AsInteger(m) : null;
            if (isApproval)
            {
                if (approvals is null or < 1)
                {
                    Problems.Add($"{where}, key 'Approvals': a RequireApproval rule says how many approvals it needs, a whole number of 1 or more");
                }

                if (approverGroup is null)
                {
                    Problems.Add($"{where}, key 'ApproverGroup': a RequireApproval rule names the group that approves");
                }
                else if (!groups.TryGetValue(approverGroup, out var members))
                {
                    Problems.Add($"{where}, key 'ApproverGroup': there is no approver group '{approverGroup}' in ApproverGroups");
                }
                else if (approvals > members.Count)
                {
                    Problems.Add($"{where}, key 'Approvals': it needs {approvals} approvals, but group '{approverGroup}' has only {members.Count} member(s)");
                }
            }
            else
            {
                foreach (var key in new[] { "Approvals", "ApproverGroup", "ApprovalExpiry", "RequireSignedApproval" })
                {
                    if (Get(rule, key) is not null)
                    {
                        Problems.Add($"{where}, key '{key}': only a RequireApproval rule takes it");
                    }
                }
            }

            var allowBreakGlass = Flag(rule, "AllowBreakGlass", where);
            if (allowBreakGlass && effect == PolicyEffect.Deny)
            {
                Problems.Add($"{where}, key 'AllowBreakGlass': break-glass runs a write without its approvals; it never overrides a Deny");
            }

            if (Get(rule, "ReviewWithin") is not null && !allowBreakGlass)
            {
                Problems.Add($"{where}, key 'ReviewWithin': it is the review deadline of a break-glass write; set AllowBreakGlass = $true with it");
            }

            var hours = Hours(rule, where);
            var zone = Zone(rule, where);
            var days = Days(rule, where);
            if (Get(rule, "TimeZone") is not null && hours is null && days.Count == 0)
            {
                Problems.Add($"{where}, key 'TimeZone': it applies to DaysOfWeek and Hours, and the rule has neither");
            }

            var read = new PolicyRule
            {
                Id = id,
                Description = Text(rule, "Description", where),
                Connector = Patterns(rule, "Connector", where, ignoreCase: true),
                Action = Patterns(rule, "Action", where, ignoreCase: true),
                Target = Patterns(rule, "Target", where, ignoreCase: OperatingSystem.IsWindows()),
                Actor = Patterns(rule, "Actor", where, ignoreCase: true),
                ActorGroup = GroupNames(rule, where, groups),
                Risk = Risks(rule, where),
                DaysOfWeek = days,
                Hours = hours,
                TimeZone = zone,
                Effect = effect ?? PolicyEffect.Deny,
                Approvals = isApproval ? (int)(approvals ?? 0) : 0,
                ApproverGroup = isApproval ? approverGroup : null,
                ApprovalExpiry = isApproval ? Duration(rule, "ApprovalExpiry", where) ?? DefaultApprovalExpiry : TimeSpan.Zero,
                RequireSignedApproval = isApproval && Flag(rule, "RequireSignedApproval", where),
                RequireRollback = Flag(rule, "RequireRollback", where),
                AllowBreakGlass = allowBreakGlass,
                ReviewWithin = allowBreakGlass ? Duration(rule, "ReviewWithin", where) ?? DefaultReviewWithin : null,
            };
            return Problems.Count > before ? null : read;
        }

        private void UnknownKeys(IReadOnlyDictionary<string, object?> table, string[] known, string where)
        {
            foreach (var key in table.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)))
            {
                Problems.Add($"{where}, key '{key}': it is not a key a policy has (known: {string.Join(", ", known)})");
            }
        }

        private static object? Get(IReadOnlyDictionary<string, object?> table, string key) =>
            table.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value;

        private string? Text(IReadOnlyDictionary<string, object?> table, string key, string where)
        {
            var value = Get(table, key);
            if (value is null or string)
            {
                var text = (string?)value;
                if (text is not null && (text.Trim().Length == 0 || RecordableText.HasControlOrBrokenCharacters(text)))
                {
                    Problems.Add($"{where}, key '{key}': it is empty or holds control characters");
                }

                return text;
            }

            Problems.Add($"{where}, key '{key}': {Show(value)} is not a string");
            return null;
        }

        private bool Flag(IReadOnlyDictionary<string, object?> table, string key, string where)
        {
            var value = Get(table, key);
            if (value is null or bool)
            {
                return value is true;
            }

            Problems.Add($"{where}, key '{key}': {Show(value)} is not $true or $false");
            return false;
        }

        private PolicyEffect Effect(IReadOnlyDictionary<string, object?> table, string key, string where)
        {
            var value = Get(table, key);
            if (value is string text && EnumNames.TryParse<PolicyEffect>(text, ignoreCase: true, out var effect))
            {
                return effect;
            }

            Problems.Add($"{where}, key '{key}': {Show(value)} is not Allow, RequireApproval or Deny");
            return PolicyEffect.Deny;
        }

        private TimeSpan? Duration(IReadOnlyDictionary<string, object?> table, string key, string where)
        {
            var value = Get(table, key);
            if (value is null)
            {
                return null;
            }

            if (value is string text && TryParseDuration(text, out var duration))
            {
                return duration;
            }

            Problems.Add($"{where}, key '{key}': {Show(value)} is not a duration; write '[d.]hh:mm:ss', for example '04:00:00' or '2.00:00:00'");
            return null;
        }

        private List<string> Strings(IReadOnlyDictionary<string, object?> table, string key, string where)
        {
            var value = Get(table, key);
            var strings = new List<string>();
            if (value is null)
            {
                return strings;
            }

            var items = AsList(value) ?? [value];
            if (items.Count == 0)
            {
                Problems.Add($"{where}, key '{key}': it is an empty list; leave the key out to match anything");
            }

            foreach (var item in items)
            {
                if (item is string text && text.Length > 0)
                {
                    strings.Add(text);
                }
                else
                {
                    Problems.Add($"{where}, key '{key}': {Show(item)} is not a non-empty string");
                }
            }

            return strings;
        }

        private List<WildcardPattern> Patterns(IReadOnlyDictionary<string, object?> table, string key, string where, bool ignoreCase)
        {
            var patterns = new List<WildcardPattern>();
            foreach (var text in Strings(table, key, where))
            {
                if (WildcardPattern.TryParse(text, ignoreCase, out var problem) is { } pattern)
                {
                    patterns.Add(pattern);
                }
                else
                {
                    Problems.Add($"{where}, key '{key}': '{text}' is not a wildcard pattern: {problem}");
                }
            }

            return patterns;
        }

        private List<string> GroupNames(IReadOnlyDictionary<string, object?> table, string where, Dictionary<string, IReadOnlyList<PolicyMember>> groups)
        {
            var names = Strings(table, "ActorGroup", where);
            foreach (var name in names.Where(n => !groups.ContainsKey(n)))
            {
                Problems.Add($"{where}, key 'ActorGroup': there is no approver group '{name}' in ApproverGroups");
            }

            return names;
        }

        private List<RiskLevel> Risks(IReadOnlyDictionary<string, object?> table, string where)
        {
            var risks = new List<RiskLevel>();
            foreach (var text in Strings(table, "Risk", where))
            {
                if (EnumNames.TryParse<RiskLevel>(text, ignoreCase: true, out var risk))
                {
                    risks.Add(risk);
                }
                else
                {
                    Problems.Add($"{where}, key 'Risk': '{text}' is not a risk level (Low, Medium, High, Critical)");
                }
            }

            return risks;
        }

        private List<DayOfWeek> Days(IReadOnlyDictionary<string, object?> table, string where)
        {
            var days = new List<DayOfWeek>();
            foreach (var text in Strings(table, "DaysOfWeek", where))
            {
                if (EnumNames.TryParse<DayOfWeek>(text, ignoreCase: true, out var day))
                {
                    days.Add(day);
                }
                else
                {
                    Problems.Add($"{where}, key 'DaysOfWeek': '{text}' is not a day of the week (Monday … Sunday)");
                }
            }

            return days;
        }

        private (TimeSpan, TimeSpan)? Hours(IReadOnlyDictionary<string, object?> table, string where)
        {
            var value = Get(table, "Hours");
            if (value is null)
            {
                return null;
            }

            if (value is string text && HoursForm().Match(text) is { Success: true } match)
            {
                int Part(int group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
                var from = new TimeSpan(Part(1), Part(2), 0);
                var until = new TimeSpan(Part(3), Part(4), 0);
                if (Part(2) < 60 && Part(4) < 60 && from < TimeSpan.FromHours(24) && until <= TimeSpan.FromHours(24) && from != until)
                {
                    return (from, until);
                }
            }

            Problems.Add($"{where}, key 'Hours': {Show(value)} is not a time window; write 'hh:mm-hh:mm', for example '08:00-18:00' (or '22:00-06:00' past midnight)");
            return null;
        }

        private TimeZoneInfo? Zone(IReadOnlyDictionary<string, object?> table, string where)
        {
            var name = Text(table, "TimeZone", where);
            if (name is null)
            {
                return null;
            }

            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(name);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                Problems.Add($"{where}, key 'TimeZone': '{name}' is not a time zone this machine knows (for example 'UTC' or 'Europe/Berlin')");
                return null;
            }
        }

        private static List<object?>? AsList(object? value) => value switch
        {
            string => null,
            IReadOnlyDictionary<string, object?> => null,
            System.Collections.IEnumerable items => items.Cast<object?>().ToList(),
            _ => null,
        };

        private static long? AsInteger(object? value) => value switch
        {
            int i => i,
            long l => l,
            _ => null,
        };

        private static string Show(object? value) => value switch
        {
            null => "nothing",
            string text => $"'{text}'",
            bool flag => flag ? "$true" : "$false",
            IReadOnlyDictionary<string, object?> => "a hashtable",
            System.Collections.IEnumerable => "a list",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "a value",
        };
    }

    private static byte[] Canonicalise(PolicyEffect defaultEffect, string? description, IReadOnlyDictionary<string, IReadOnlyList<PolicyMember>> groups, IReadOnlyList<PolicyRule> rules)
    {
        static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)i).ToArray());
        var json = new JsonObject
        {
            ["Version"] = CurrentVersion,
            [nameof(DefaultEffect)] = defaultEffect.ToString(),
            [nameof(ApproverGroups)] = new JsonObject(groups.Select(g => KeyValuePair.Create(g.Key, (JsonNode?)Array(g.Value.Select(m => m.Text))))),
            [nameof(Rules)] = new JsonArray(rules.Select(rule => (JsonNode?)Rule(rule)).ToArray()),
        };
        if (description is not null)
        {
            json[nameof(Description)] = description;
        }

        return JsonCanonicalizer.Canonicalize(json);

        static JsonObject Rule(PolicyRule rule)
        {
            var json = new JsonObject { ["Id"] = rule.Id, ["Effect"] = rule.Effect.ToString() };
            void Add(string key, IEnumerable<string> items)
            {
                var list = items.ToList();
                if (list.Count > 0)
                {
                    json[key] = Array(list);
                }
            }

            if (rule.Description is not null)
            {
                json[nameof(PolicyRule.Description)] = rule.Description;
            }

            Add("Connector", rule.Connector.Select(p => p.Pattern));
            Add("Action", rule.Action.Select(p => p.Pattern));
            Add("Target", rule.Target.Select(p => p.Pattern));
            Add("Actor", rule.Actor.Select(p => p.Pattern));
            Add("ActorGroup", rule.ActorGroup);
            Add("Risk", rule.Risk.Select(r => r.ToString()));
            Add("DaysOfWeek", rule.DaysOfWeek.Select(d => d.ToString()));
            if (rule.HoursText is { } hours)
            {
                json["Hours"] = hours;
            }

            if (rule.TimeZone is not null)
            {
                json["TimeZone"] = rule.TimeZone.Id;
            }

            if (rule.Effect == PolicyEffect.RequireApproval)
            {
                json["Approvals"] = rule.Approvals;
                json["ApproverGroup"] = rule.ApproverGroup;
                json["ApprovalExpiry"] = FormatDuration(rule.ApprovalExpiry);
                json["RequireSignedApproval"] = rule.RequireSignedApproval;
            }

            json["RequireRollback"] = rule.RequireRollback;
            json["AllowBreakGlass"] = rule.AllowBreakGlass;
            if (rule.ReviewWithin is { } review)
            {
                json["ReviewWithin"] = FormatDuration(review);
            }

            return json;
        }
    }
}
