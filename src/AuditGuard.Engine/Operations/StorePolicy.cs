using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Operations.Records;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Operations;

/// <summary>A policy.set record as it was read back: the policy, where it came from, who set it, when and why.</summary>
public sealed record PolicyRecord(long Sequence, DateTimeOffset Time, PolicyDocument Document, string SourceName, string SourceDigest, string SourceText,
    ActorIdentity SetBy, string? Reason);

/// <summary>
/// The store's active policy: the last policy.set record in the chain, whose canonical rules
/// (and source text) are blobs bound by digest. Each decision reads it afresh (a policy set by
/// another process applies at once); a policy whose rules were erased or altered refuses every
/// write rather than falling back to none.
/// </summary>
internal sealed class StorePolicy(AuditLedger ledger) : IPolicyEvaluator
{
    public const string PolicySetType = "policy.set";

    private PolicyRecord? _cached;

    public PolicyDecision Evaluate(PolicyRequest request) =>
        Active() is { } active ? new PolicyEvaluator(active.Document).Evaluate(request) : PolicyDecision.NoPolicy;

    /// <summary>The policy in force, or null when none was ever set.</summary>
    public PolicyRecord? Active()
    {
        var row = ledger.ReadRecords(new RecordFilter { Types = [PolicySetType], Last = 1 }).FirstOrDefault();
        if (row is null)
        {
            return null;
        }

        var cached = _cached;
        if (cached is not null && cached.Sequence == row.Sequence)
        {
            return cached;
        }

        return _cached = Read(row);
    }

    /// <summary>Every policy the store has had, oldest first.</summary>
    public IReadOnlyList<PolicyRecord> History() =>
        ledger.ReadRecords(new RecordFilter { Types = [PolicySetType] }).Select(Read).ToList();

    /// <summary>Makes <paramref name="document"/> the store's policy; returns the record as read back.</summary>
    public PolicyRecord Set(PolicyDocument document, string sourceName, string sourceText, ActorIdentity setBy, string? reason)
    {
        var source = Encoding.UTF8.GetBytes(sourceText);
        var fields = new JsonObject
        {
            ["policyDigest"] = document.Digest,
            ["sourceName"] = sourceName,
            ["sourceDigest"] = Hex.Lower(SHA256.HashData(source)),
            ["setBy"] = OperationRecordCodec.EncodeActor(setBy),
            ["reason"] = reason,
        };
        var row = ledger.Append(new RecordDraft(PolicySetType, fields, Blobs: [document.Canonical, source]));
        var written = Read(ledger.ReadRecords(new RecordFilter { Sequences = [row.Sequence] }).Single());
        return written.Document.Digest == document.Digest ? _cached = written
            : throw PolicyErrors.Unavailable(row.Sequence, "the record read back does not hold the policy just set");
    }

    private PolicyRecord Read(RecordRow row)
    {
        try
        {
            var body = JsonNode.Parse(row.Body)!.AsObject();
            var digest = (string?)body["policyDigest"] ?? throw new FormatException("it names no policy digest");
            var canonical = ledger.ReadBlob(digest) ?? throw new FormatException($"its rules (blob {digest}) were erased");
            if (Hex.Lower(SHA256.HashData(canonical)) != digest)
            {
                throw new FormatException($"its rules (blob {digest}) were altered");
            }

            var sourceDigest = (string?)body["sourceDigest"] ?? throw new FormatException("it names no source digest");
            var source = ledger.ReadBlob(sourceDigest) is { } text && Hex.Lower(SHA256.HashData(text)) == sourceDigest ? Encoding.UTF8.GetString(text) : "";
            return new PolicyRecord(
                row.Sequence,
                Rfc3339.TryParse(row.Time, out var time) ? time : DateTimeOffset.UnixEpoch,
                PolicyDocument.FromCanonical(canonical, $"record {row.Sequence}"),
                (string?)body["sourceName"] ?? "",
                sourceDigest,
                source,
                OperationRecordCodec.DecodeActor(body["setBy"] ?? throw new FormatException("it names no one who set it")),
                (string?)body["reason"]);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw PolicyErrors.Unavailable(row.Sequence, e.Message);
        }
        catch (AuditGuardException e) when (e.ErrorId == ErrorIds.PolicyInvalid)
        {
            throw PolicyErrors.Unavailable(row.Sequence, e.Message);
        }
    }
}
