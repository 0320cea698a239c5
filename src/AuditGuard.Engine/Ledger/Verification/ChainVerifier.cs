using System.Globalization;
using System.Diagnostics;
using System.Security.Cryptography;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>
/// Verifies a chain from its stored bytes alone: re-hashes every body, follows the links
/// and sequence numbers, checks every derived column and blob against the body, and every
/// signature against the signer in force at that sequence. Streams in batches (bounded
/// memory): a batch's bodies are hashed and parsed on every core, its order-dependent checks
/// run on one thread, and its signatures are checked on every core while the next batch is read.
/// </summary>
public static class ChainVerifier
{
    private const int BatchSize = 512;

    /// <summary>Verifies what <paramref name="source"/> holds; every finding is a verdict, never an exception.</summary>
    public static ChainVerificationResult Verify(IChainSource source, VerifyOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        var verdicts = new VerdictCollector(options.MaxVerdictsPerKind);
        var trust = new Dictionary<string, TrustLevel>(StringComparer.Ordinal);

        var from = options.FromSequence ?? 0;
        var signers = FoldSigners(source, before: from);
        var state = new ChainState(source.StoreId.ToString("D"), from);
        if (from > 0 && source.ReadRecords(new RecordFilter { Sequences = [from - 1] }).FirstOrDefault() is { } before)
        {
            state.PreviousHash = SHA256.HashData(before.Body);
            state.PreviousTime = before.Time;
        }
        else if (from > 0 && source.AnchorBefore(from) is { } anchor)
        {
            state.PreviousHash = anchor;
        }

        var total = source.CountRecords(from, options.ToSequence);
        long checkedCount = 0;
        var rows = new List<RecordRow>(BatchSize);
        SignatureCheck? inFlight = null;

        // While one batch's signatures are checked on every core, this thread reads and
        // checks the next batch in order: two batches in memory at most.
        void CheckBatch()
        {
            var batch = Prepare(rows).Select(prepared => CheckInOrder(prepared, state, signers, source, verdicts, trust, options)).ToList();
            checkedCount += inFlight?.Finish(verdicts) ?? 0;
            options.Progress?.Invoke(checkedCount, total);
            inFlight = SignatureCheck.Start(batch);
            rows = new List<RecordRow>(BatchSize);
        }

        foreach (var row in source.ReadRecords(new RecordFilter { FromSequence = from, ToSequence = options.ToSequence }))
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            rows.Add(row);
            if (rows.Count == BatchSize)
            {
                CheckBatch();
            }
        }

        CheckBatch();
        checkedCount += inFlight!.Finish(verdicts);
        options.Progress?.Invoke(checkedCount, total);

        // The container and its derived tables are checked whole, and only when the whole chain is: a range cannot vouch for them.
        if (options.FromSequence is null && options.ToSequence is null)
        {
            source.CheckStorage((kind, sequence, message) => verdicts.Add(kind, sequence, null, message));
        }

        // A chain starts at 0: a row below it is none of the chain's records, planted where a reader that starts at 0 would not see it.
        if (source.CountRecords(long.MinValue, -1) is > 0 and var outside)
        {
            verdicts.Add(VerdictKind.SequenceGap, -1, null,
                string.Create(CultureInfo.InvariantCulture, $"The store holds {outside} row(s) with a sequence below 0, which no chain has: they were planted outside AuditGuard."));
        }

        if (options.WitnessPath is { } witness)
        {
            Witness.Check(witness, source, FoldSigners(source, before: null), verdicts);
        }
        else if (options.WitnessRecord is { } record)
        {
            Witness.Check(record, source, FoldSigners(source, before: null), verdicts);
        }
        else
        {
            verdicts.Add(VerdictKind.Unanchored, null, null,
                "No witness was given. This shows the records were not changed by anyone without the signing key; it cannot show a deleted tail, a store swapped for an older copy, or a store rebuilt under the same id by someone holding (or replacing) the key. Verify with -Witness and a checkpoint kept elsewhere, and pin the signer with -ExpectedSigner.");
        }

        var list = verdicts.ToList();
        return new ChainVerificationResult(
            source.Location,
            source.StoreId,
            list.All(v => v.Severity != VerdictSeverity.Error),
            checkedCount,
            Weakest(trust.Values),
            state.HeadSequence,
            state.HeadHash is { } hash ? Hex.Lower(hash) : null,
            Stopwatch.GetElapsedTime(started),
            list);
    }

    /// <summary>The signers in force before <paramref name="before"/> (or at the end, when null), as the chain states them.</summary>
    internal static SignerRegistry FoldSigners(IChainSource source, long? before)
    {
        var registry = new SignerRegistry();
        if (before is 0)
        {
            return registry;
        }

        var filter = new RecordFilter { Types = RecordTypes.SignerTypes, FromSequence = 0, ToSequence = before - 1 };
        foreach (var row in source.ReadRecords(filter))
        {
            if (ParsedBody.TryParse(row.Body, out _) is { } body && registry.Admits(row, body))
            {
                registry.Apply(body);
            }
        }

        return registry;
    }

    /// <summary>What does not depend on order, for a whole batch on every core: each body's hash and parse.</summary>
    private static Prepared[] Prepare(List<RecordRow> rows)
    {
        var prepared = new Prepared[rows.Count];
        Parallel.For(0, rows.Count, i =>
        {
            var row = rows[i];
            var body = ParsedBody.TryParse(row.Body, out var problem);
            prepared[i] = new Prepared(row, SHA256.HashData(row.Body), body, problem);
        });
        return prepared;
    }

    /// <summary>Everything that depends on order; the signature check is left for the batch unless the record changes the signers.</summary>
    private static Checked CheckInOrder(Prepared prepared, ChainState state, SignerRegistry signers, IChainSource source,
        VerdictCollector verdicts, Dictionary<string, TrustLevel> trust, VerifyOptions options)
    {
        var (row, computed, body, problem) = prepared;
        var sequence = row.Sequence;
        if (!computed.AsSpan().SequenceEqual(row.Hash))
        {
            verdicts.Add(VerdictKind.BodyHashMismatch, sequence, null,
                $"Record {sequence}'s body hashes to {Hex.Lower(computed)}, not to the stored {row.HashHex}: the body was changed.");
        }

        var gap = sequence != state.ExpectedSequence;
        if (gap)
        {
            verdicts.Add(VerdictKind.SequenceGap, state.ExpectedSequence, null,
                $"Records {state.ExpectedSequence} to {sequence - 1} are missing: the chain jumps from {state.ExpectedSequence - 1} to {sequence}.");
        }

        X509CertificateHolder? signer = null;
        if (body is null || body.Version != RecordBody.FormatVersion)
        {
            verdicts.Add(VerdictKind.BodyMalformed, sequence, null,
                $"Record {sequence} cannot be read as a version {RecordBody.FormatVersion} record: {problem ?? $"format version {body!.Version}"}.");
        }
        else
        {
            CheckHeader(row, body, state, gap, verdicts);
            signer = CheckSigner(row, body, signers, verdicts, trust, options);
            CheckBlobs(row, body, source, verdicts);
        }

        state.Advance(row, computed, body?.Time ?? row.Time);
        return new Checked(row, signer);
    }

    private static void CheckHeader(RecordRow row, ParsedBody body, ChainState state, bool gap, VerdictCollector verdicts)
    {
        var sequence = row.Sequence;
        var moved = body.Sequence != sequence;
        if (moved)
        {
            verdicts.Add(VerdictKind.Reordered, sequence, null,
                $"The record stored at position {sequence} says it is record {body.Sequence}: records were moved.");
        }

        // A moved record's link was right where it came from; the move is the finding.
        if (!gap && !moved && body.Previous != Hex.Lower(state.PreviousHash))
        {
            verdicts.Add(VerdictKind.BrokenLink, sequence, null,
                $"Record {sequence} links to {body.Previous}, but the record before it hashes to {Hex.Lower(state.PreviousHash)}.");
        }

        if (body.Store != state.StoreId)
        {
            verdicts.Add(VerdictKind.StoreMismatch, sequence, null,
                $"Record {sequence} belongs to store {body.Store}, not to this store ({state.StoreId}).");
        }

        var mismatched = new List<string>();
        if (row.PreviousHex != body.Previous) { mismatched.Add("prev"); }
        if (row.Type != body.Type) { mismatched.Add("type"); }
        if (row.OperationId != body.Operation) { mismatched.Add("op_id"); }
        if (row.Time != body.Time) { mismatched.Add("time"); }
        if (row.Signer != body.Signer) { mismatched.Add("signer"); }
        if (mismatched.Count > 0)
        {
            verdicts.Add(VerdictKind.IndexMismatch, sequence, null,
                $"Record {sequence}'s stored {string.Join(", ", mismatched)} column(s) disagree with its body: queries would show what the chain does not say.");
        }

        if (state.PreviousTime is { } previousTime && string.CompareOrdinal(body.Time, previousTime) < 0)
        {
            verdicts.Add(VerdictKind.ClockAnomaly, sequence, null,
                $"Record {sequence} is timed {body.Time}, before the record preceding it ({previousTime}): the writer's clock stepped back. Order comes from sequence numbers, not clocks.");
        }
    }

    private static X509CertificateHolder? CheckSigner(RecordRow row, ParsedBody body, SignerRegistry signers,
        VerdictCollector verdicts, Dictionary<string, TrustLevel> trust, VerifyOptions options)
    {
        var sequence = row.Sequence;
        var changesSigners = RecordTypes.SignerTypes.Contains(body.Type);
        if (changesSigners && signers.Check(body) is { } refused)
        {
            verdicts.Add(VerdictKind.UnknownSigner, sequence, null, $"Record {sequence} tries to change the signers but {refused}.");
            return null;
        }

        if (body.Type == RecordTypes.StoreCreated)
        {
            signers.Apply(body);
        }
        else if (!signers.IsActive(body.Signer))
        {
            var known = signers.Find(body.Signer);
            verdicts.Add(VerdictKind.UnknownSigner, sequence, null, known is null
                ? $"Record {sequence} is signed by {body.Signer}, a key this store never registered."
                : $"Record {sequence} is signed by '{known.Certificate.Subject}', which was no longer a signer at this sequence.");
            return null;
        }

        var entry = signers.Find(body.Signer);
        if (entry is null)
        {
            return null;
        }

        if (!trust.ContainsKey(entry.Fingerprint))
        {
            if (options.ExpectedSigners is { } expected && !expected.Any(e => Matches(entry, e)))
            {
                verdicts.Add(VerdictKind.UnexpectedSigner, sequence, null,
                    $"Record {sequence} is signed by '{entry.Certificate.Subject}' (SHA-256 {entry.Fingerprint}, thumbprint {entry.Certificate.Thumbprint}), which is not a signer you expected: the store may have been rebuilt with another key.");
            }

            trust[entry.Fingerprint] = SignerTrust.Evaluate(entry.Certificate, entry.IsStoreGenerated, options.TrustedRoots, body.ParsedTime);
        }

        if (!changesSigners)
        {
            return new X509CertificateHolder(entry);
        }

        // A signer record changes who may sign the records after it, so its own signature
        // must be settled before it is applied.
        if (!DetachedSignature.Verify(row.Body, row.Signature, entry.Certificate))
        {
            verdicts.Add(VerdictKind.SignatureInvalid, sequence, null,
                $"Record {sequence}'s signature does not verify against '{entry.Certificate.Subject}': it changes the signers, so it was not applied.");
            return null;
        }

        if (body.Type != RecordTypes.StoreCreated)
        {
            signers.Apply(body);
        }

        return null;
    }

    /// <summary>An expected signer given as the SHA-256 fingerprint AuditGuard records, or as the SHA-1 thumbprint certificate tools show.</summary>
    private static bool Matches(SignerEntry entry, string expected)
    {
        var wanted = string.Concat(expected.Where(c => char.IsAsciiHexDigit(c)));
        return string.Equals(wanted, entry.Fingerprint, StringComparison.OrdinalIgnoreCase)
            || string.Equals(wanted, entry.Certificate.Thumbprint, StringComparison.OrdinalIgnoreCase);
    }

    private static void CheckBlobs(RecordRow row, ParsedBody body, IChainSource source, VerdictCollector verdicts)
    {
        if (!source.HoldsBlobs)
        {
            return;
        }

        foreach (var digest in body.Blobs)
        {
            byte[] expected;
            try
            {
                expected = Convert.FromHexString(digest);
            }
            catch (FormatException)
            {
                verdicts.Add(VerdictKind.BodyMalformed, row.Sequence, null, $"Record {row.Sequence} names a blob '{digest}' that is not a SHA-256 digest.");
                continue;
            }

            var bytes = source.ReadBlob(expected);
            if (bytes is null)
            {
                verdicts.Add(VerdictKind.BlobErased, row.Sequence, null,
                    $"Record {row.Sequence}'s payload {digest} was erased; its digest stays bound in the chain.");
            }
            else if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(expected))
            {
                verdicts.Add(VerdictKind.BlobMismatch, row.Sequence, null,
                    $"Record {row.Sequence}'s payload {digest} was overwritten: its bytes hash to {Hex.Lower(SHA256.HashData(bytes))}.");
            }
        }
    }

    /// <summary>One batch's signatures, checked in parallel in the background; failures are reported on the calling thread.</summary>
    private sealed class SignatureCheck
    {
        private readonly List<Checked> _batch;
        private readonly Task<bool[]> _valid;

        private SignatureCheck(List<Checked> batch)
        {
            _batch = batch;
            _valid = Task.Run(() =>
            {
                var valid = new bool[batch.Count];
                Parallel.For(0, batch.Count, i =>
                {
                    var item = batch[i];
                    valid[i] = item.Signer is null || DetachedSignature.Verify(item.Row.Body, item.Row.Signature, item.Signer.Entry.Certificate);
                });
                return valid;
            });
        }

        public static SignatureCheck Start(List<Checked> batch) => new(batch);

        /// <summary>Waits for the batch, reports its invalid signatures, and returns how many records it held.</summary>
        public long Finish(VerdictCollector verdicts)
        {
            var valid = _valid.GetAwaiter().GetResult();
            for (var i = 0; i < _batch.Count; i++)
            {
                if (!valid[i])
                {
                    var item = _batch[i];
                    verdicts.Add(VerdictKind.SignatureInvalid, item.Row.Sequence, null,
                        $"Record {item.Row.Sequence}'s signature does not verify against its signer '{item.Signer!.Entry.Certificate.Subject}'.");
                }
            }

            return _batch.Count;
        }
    }

    internal static TrustLevel Weakest(IEnumerable<TrustLevel> levels)
    {
        var all = levels.ToList();
        return all.Count == 0 || all.Contains(TrustLevel.Untrusted) ? TrustLevel.Untrusted
            : all.Contains(TrustLevel.SelfSignedLocal) ? TrustLevel.SelfSignedLocal
            : TrustLevel.TrustedChain;
    }

    private sealed record Prepared(RecordRow Row, byte[] Hash, ParsedBody? Body, string? Problem);

    private sealed record Checked(RecordRow Row, X509CertificateHolder? Signer);

    /// <summary>The signer whose signature the batch still has to check.</summary>
    private sealed record X509CertificateHolder(SignerEntry Entry);

    /// <summary>Where the sequential walk stands.</summary>
    private sealed class ChainState(string storeId, long from)
    {
        public string StoreId { get; } = storeId;

        public long ExpectedSequence { get; private set; } = from;

        public byte[] PreviousHash { get; set; } = RecordBody.GenesisPrevious;

        public string? PreviousTime { get; set; }

        public long? HeadSequence { get; private set; }

        public byte[]? HeadHash { get; private set; }

        public void Advance(RecordRow row, byte[] computedHash, string time)
        {
            ExpectedSequence = row.Sequence + 1;
            PreviousHash = computedHash;
            PreviousTime = time;
            HeadSequence = row.Sequence;
            HeadHash = computedHash;
        }
    }
}
