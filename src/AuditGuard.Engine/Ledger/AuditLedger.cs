using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// The append-only, hash-chained, signed ledger over one record store. Appends from any number
/// of threads share transactions (group commit); appends from other processes serialise on the
/// store's write lock. The signers and settings in force are folded from the chain and
/// refreshed whenever another session changed them. Tables derived from the chain are
/// plugged in as projections and kept in step inside each append's transaction.
/// </summary>
public sealed class AuditLedger : IDisposable
{
    private readonly IRecordStore _store;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyList<IProjection> _projections;
    private readonly object _queueGate = new();

    // Guards the folded state (signers, settings, what was last folded), which a commit uses
    // and a summary may refresh from another thread.
    private readonly object _stateGate = new();
    private readonly List<PendingAppend> _pending = [];
    private bool _leaderActive;

    // Written only by the committing thread, under the store's write lock.
    private SigningKey? _key;
    private string? _readOnlyReason;
    private SignerRegistry _signers = new();
    private StoreSettings _settings = new();
    private long? _stateSequence;
    private long? _committedHead;

    private AuditLedger(IRecordStore store, LedgerOpenOptions options)
    {
        _store = store;
        _clock = options.Clock;
        _projections = options.Projections;
        KeyFiles = options.KeyFiles;
    }

    public Guid StoreId => _store.StoreId;

    /// <summary>Where the store is (its path, for a store in a file).</summary>
    public string Location => _store.Location;

    public LocalKeyFiles KeyFiles { get; }

    public bool IsReadOnly => _key is null || _store.SchemaAlterations.Count > 0 || _store.ReadOnlyReason is not null;

    /// <summary>Why the ledger cannot append, or null when it can.</summary>
    public string? ReadOnlyReason => _store.SchemaAlterations.Count > 0
        ? $"it was altered outside AuditGuard ({string.Join("; ", _store.SchemaAlterations)})."
        : _store.ReadOnlyReason ?? _readOnlyReason;

    /// <summary>Refuses, with the reason's own ErrorId, when nothing can be appended.</summary>
    public void ThrowIfReadOnly()
    {
        if (_store.SchemaAlterations.Count > 0)
        {
            throw StoreErrors.SchemaAltered(Location, _store.SchemaAlterations);
        }

        if (_store.ReadOnlyReason is { } reason)
        {
            throw StoreErrors.ReadOnly(Location, reason);
        }

        if (_key is null)
        {
            throw LedgerErrors.SignerKeyUnavailable(Location, _readOnlyReason ?? "it has no signing key.");
        }
    }

    /// <summary>The store's secret (HMAC) key, or null when it is not available here.</summary>
    internal byte[]? SecretKey { get; private set; }

    /// <summary>
    /// Opens the ledger of <paramref name="store"/>, writing its genesis record when the store is
    /// new. The ledger owns the store (and the signing key in the options) from here on, also
    /// when opening fails.
    /// </summary>
    public static AuditLedger Open(IRecordStore store, LedgerOpenOptions options)
    {
        AuditLedger? ledger = null;
        try
        {
            ledger = new AuditLedger(store, options);
            ledger.Initialise(options);
            return ledger;
        }
        catch
        {
            options.SigningKey?.Dispose();
            if (ledger is null)
            {
                store.Dispose();
            }
            else
            {
                ledger.Dispose();
            }

            throw;
        }
    }

    /// <summary>Appends one record and returns it as stored.</summary>
    public RecordRow Append(RecordDraft draft) => Append([draft])[0];

    /// <summary>Appends records in one transaction, in order, and returns them as stored.</summary>
    public IReadOnlyList<RecordRow> Append(IReadOnlyList<RecordDraft> drafts)
    {
        foreach (var draft in drafts)
        {
            RecordBody.Validate(draft);
            if (RecordTypes.IsReserved(draft.Type))
            {
                throw LedgerErrors.RecordInvalid(draft.Type, "records of this type are written by the ledger itself.");
            }
        }

        return Commit(new PendingAppend(drafts, null));
    }

    /// <summary>Appends a signed checkpoint: the sequence and hash of the head before it.</summary>
    public RecordRow WriteCheckpoint() => Commit(new PendingAppend([CheckpointDraft()], null))[0];

    /// <summary>Changes a store setting by appending a settings.changed record.</summary>
    public RecordRow ChangeSetting(string name, object? value)
    {
        var (canonicalName, normalised) = StoreSettings.Normalise(name, value);
        var draft = new RecordDraft(RecordTypes.SettingsChanged, new JsonObject { ["name"] = canonicalName, ["value"] = normalised });
        return Commit(new PendingAppend([draft], null))[0];
    }

    /// <summary>
    /// Rotates to <paramref name="newKey"/>: a signer.rotated record signed by the outgoing key
    /// and carrying the incoming certificate. The ledger owns the new key from here on.
    /// </summary>
    public RecordRow RotateSigner(SigningKey newKey)
    {
        if (_key is { } current && current.Fingerprint == newKey.Fingerprint)
        {
            throw LedgerErrors.SignerAlreadyRegistered(newKey.Fingerprint);
        }

        var draft = new RecordDraft(RecordTypes.SignerRotated, new JsonObject
        {
            ["certificate"] = Convert.ToBase64String(newKey.Certificate.RawData),
            ["fingerprint"] = newKey.Fingerprint,
            ["replaces"] = _key?.Fingerprint,
            ["keyOrigin"] = KeyOrigins.Provided,
            ["subject"] = newKey.Certificate.Subject,
        });
        return Commit(new PendingAppend([draft], newKey))[0];
    }

    /// <summary>
    /// Registers another signer beside those in force (Add-AuditSigner): a signer.added record,
    /// signed by this session's registered key, carrying <paramref name="certificate"/> (its public
    /// part only). From the next record on, the holder of its key may sign: another host of a
    /// central store, say, so an auditor sees which host wrote what.
    /// </summary>
    public RecordRow AddSigner(X509Certificate2 certificate)
    {
        SigningCertificateRules.ThrowIfUnfitToSignHere(certificate, _clock.GetUtcNow(), certificate.Subject);
        var fingerprint = CertificateFingerprint.Of(certificate);
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            if (_signers.IsActive(fingerprint))
            {
                throw LedgerErrors.SignerAlreadyActive(certificate.Subject, fingerprint);
            }

            if (_signers.Find(fingerprint) is not null)
            {
                throw LedgerErrors.SignerRetired(certificate.Subject, fingerprint);
            }
        }

        var draft = new RecordDraft(RecordTypes.SignerAdded, new JsonObject
        {
            ["certificate"] = Convert.ToBase64String(certificate.RawData),
            ["fingerprint"] = fingerprint,
            ["keyOrigin"] = KeyOrigins.Provided,
            ["subject"] = certificate.Subject,
        });
        return Commit(new PendingAppend([draft], null))[0];
    }

    /// <summary>
    /// Ends a signer (Revoke-AuditSigner): a signer.revoked record; a record its key signs after this
    /// one fails verification. The key this session signs with, and the last signer, are not revoked here.
    /// </summary>
    public RecordRow RevokeSigner(string fingerprint, string? reason)
    {
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            if (!_signers.IsActive(fingerprint))
            {
                throw LedgerErrors.SignerNotActive(Location, fingerprint);
            }

            if (_key?.Fingerprint == fingerprint)
            {
                throw LedgerErrors.SignerRevocationRefused(Location, fingerprint,
                    "it is the key this session signs with. Connect with another registered signer to revoke it, or rotate away from it with Set-AuditSigner.");
            }
        }

        var draft = new RecordDraft(RecordTypes.SignerRevoked, new JsonObject
        {
            ["fingerprint"] = fingerprint,
            ["reason"] = reason is null ? null : RecordableText.Repair(reason, out _),
        });
        return Commit(new PendingAppend([draft], null))[0];
    }

    /// <summary>Every signer the chain registered, in the order they were added, and whether each may sign now.</summary>
    public IReadOnlyList<RegisteredSigner> Signers()
    {
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            return _signers.All.Select(s => new RegisteredSigner(s.Fingerprint, s.Certificate, s.RegisteredAt, _signers.IsActive(s.Fingerprint))).ToList();
        }
    }

    /// <summary>One consistent read view of the store.</summary>
    public IRecordSnapshot OpenSnapshot() => _store.OpenSnapshot();

    /// <summary>The whole store copied to a new SQLite file; see <see cref="IRecordStore.CopyTo"/>.</summary>
    public StoreSummary CopyTo(string destination) => _store.CopyTo(destination);

    /// <summary>Streams the records <paramref name="filter"/> selects, oldest first, from one snapshot.</summary>
    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter)
    {
        using var snapshot = _store.OpenSnapshot();
        foreach (var row in snapshot.ReadRecords(filter))
        {
            yield return row;
        }
    }

    /// <summary>A payload bound into the chain by its SHA-256 (lowercase hex); null when it was erased or never stored.</summary>
    public byte[]? ReadBlob(string digest)
    {
        if (!Hex.TryParseDigest(digest, out var bytes))
        {
            return null;
        }

        using var snapshot = _store.OpenSnapshot();
        return snapshot.ReadBlob(bytes);
    }

    /// <summary>The newest checkpoint record, or null when the store has none.</summary>
    public RecordRow? LatestCheckpoint() =>
        ReadRecords(new RecordFilter { Types = [RecordTypes.Checkpoint], Last = 1 }).FirstOrDefault();

    /// <summary>Verifies the chain and its derived tables, from one snapshot.</summary>
    public ChainVerificationResult Verify(VerifyOptions options)
    {
        using var snapshot = _store.OpenSnapshot();
        return ChainVerifier.Verify(new SnapshotChainSource(snapshot, _projections), options);
    }

    public LedgerSummary GetSummary()
    {
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            return new LedgerSummary(snapshot.GetSummary(), _key?.Certificate, _key?.Fingerprint, IsReadOnly, ReadOnlyReason, _settings.Current);
        }
    }

    /// <summary>
    /// Checks rows before anything acts on what they say (an undo restores from them, a
    /// registration names code to run): each body is canonical, hashes to its row's hash, names
    /// its own sequence, links to the row before it, and is signed by a signer the chain
    /// registered. RecordUntrusted names the first that is not; reading a store's file is not
    /// trusting it.
    /// </summary>
    public void Authenticate(IEnumerable<RecordRow> rows)
    {
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            foreach (var row in rows)
            {
                var body = ParsedBody.TryParse(row.Body, out var problem);
                var previous = row.Sequence == 0 ? null : snapshot.ReadRecords(new RecordFilter { Sequences = [row.Sequence - 1] }).FirstOrDefault();
                var reason = body is null ? $"its body cannot be read ({problem})"
                    : !SHA256.HashData(row.Body).AsSpan().SequenceEqual(row.Hash) ? "its body does not hash to its recorded hash"
                    : body.Sequence != row.Sequence || body.Store != StoreId.ToString("D") ? "its body names another place in the chain"
                    : row.Sequence > 0 && (previous is null || !string.Equals(body.Previous, previous.HashHex, StringComparison.Ordinal)) ? "it does not link to the record before it"
                    : _signers.Find(body.Signer) is not { } signer ? "its signer is not one the chain registered"
                    : !DetachedSignature.Verify(row.Body, row.Signature, signer.Certificate) ? "its signature does not verify"
                    : null;
                if (reason is not null)
                {
                    throw LedgerErrors.RecordUntrusted(row.Sequence, reason);
                }
            }
        }
    }

    /// <summary>Signs an export (a bundle's manifest) with the store's own signer, its certificate carried in the signature.</summary>
    public (byte[] Signature, X509Certificate2 Certificate) SignExport(byte[] content)
    {
        lock (_stateGate)
        {
            var key = _key ?? throw LedgerErrors.SignerKeyUnavailable(Location, _readOnlyReason ?? "it has no signing key.");
            return (key.SignDetachedWithCertificate(content, _clock.GetUtcNow()), key.Certificate);
        }
    }

    /// <summary>The value in force now of a whole-number setting (<see cref="StoreSettings"/>' names).</summary>
    public long Setting(string name)
    {
        lock (_stateGate)
        {
            using var snapshot = _store.OpenSnapshot();
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            return _settings.WholeNumber(name);
        }
    }

    /// <summary>The certificate of a signer the chain registered (now or before), or null.</summary>
    public X509Certificate2? FindSignerCertificate(string fingerprint)
    {
        lock (_stateGate)
        {
            if (_signers.Find(fingerprint) is null)
            {
                // Another session may have registered it since this one last looked.
                using var snapshot = _store.OpenSnapshot();
                RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            }

            return _signers.Find(fingerprint)?.Certificate;
        }
    }

    public void Dispose()
    {
        _key?.Dispose();
        _store.Dispose();
    }

    private void Initialise(LedgerOpenOptions options)
    {
        // A store altered outside AuditGuard, or one this process cannot write, is only read: nothing is built or written into it.
        var readOnly = _store.SchemaAlterations.Count > 0 || _store.ReadOnlyReason is not null;
        using (var snapshot = _store.OpenSnapshot())
        {
            RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            if (!readOnly && _projections.Any(p => snapshot.ProjectionDefinition(p.Table.Name) != p.Table.Definition))
            {
                _store.Append(BuildMissingProjections);
            }
        }

        if (_signers.IsEmpty && !readOnly)
        {
            if (_store.IsNew)
            {
                CreateGenesis(options);
            }
            else
            {
                AwaitGenesis(options.GenesisWait);
            }
        }

        SecretKey = TryLoadKeyFile(() => LocalSecretKey.TryLoad(KeyFiles.SecretKeyPath), out _);
        if (options.SigningKey is { } provided)
        {
            if (!_signers.IsActive(provided.Fingerprint))
            {
                throw LedgerErrors.SignerNotRegistered(Location, provided.Certificate.Subject, provided.Fingerprint);
            }

            _key = provided;
            MakeHostSecretKey(options);
            return;
        }

        var local = TryLoadKeyFile(() => LocalSigningKey.TryLoad(KeyFiles.SignerKeyPath, _clock), out var unusable);
        if (local is not null && _signers.IsActive(local.Fingerprint))
        {
            _key = local;
            MakeHostSecretKey(options);
            return;
        }

        local?.Dispose();
        _readOnlyReason = unusable is not null ? $"its key file cannot be used: {unusable.Message}"
            : local is null ? $"its signing key is not here (no '{KeyFiles.SignerKeyPath}' and no certificate given)."
            : "the store's own key beside the database is no longer a registered signer (it was rotated or revoked).";
    }

    private void MakeHostSecretKey(LedgerOpenOptions options)
    {
        if (SecretKey is null && options.SecretKeyPerHost && !File.Exists(KeyFiles.SecretKeyPath))
        {
            LocalSecretKey.TryCreateExclusive(KeyFiles.SecretKeyPath, KeyFiles.Group);
            SecretKey = TryLoadKeyFile(() => LocalSecretKey.TryLoad(KeyFiles.SecretKeyPath), out _);
        }
    }

    /// <summary>
    /// Makes each derived table the store lacks (or made from another declaration) and fills it
    /// from the chain, in one transaction, so no reader ever sees it half-built.
    /// </summary>
    private int BuildMissingProjections(IAppendTransaction transaction)
    {
        foreach (var projection in _projections)
        {
            if (!transaction.EnsureProjection(projection.Table))
            {
                continue;
            }

            foreach (var row in transaction.ReadRecords(new RecordFilter { Types = projection.RecordTypes }))
            {
                try
                {
                    if (projection.Derive(row, key => transaction.FindProjectionRow(projection.Table, key), rebuilding: true) is { } change)
                    {
                        transaction.Apply(change);
                    }
                }
                catch (AuditGuardException)
                {
                    // A record the table cannot hold is left out; verification reports the difference.
                }
            }
        }

        return 0;
    }

    /// <summary>A damaged or unreadable key file makes the store read-only; reading and verification must still work.</summary>
    private static T? TryLoadKeyFile<T>(Func<T?> load, out AuditGuardException? unusable)
        where T : class
    {
        try
        {
            unusable = null;
            return load();
        }
        catch (AuditGuardException e)
        {
            unusable = e;
            return null;
        }
    }

    /// <summary>
    /// Writes the genesis record of a store this open created, with key files made here and now:
    /// key files that already exist were placed by someone else, and are never adopted.
    /// </summary>
    private void CreateGenesis(LedgerOpenOptions options)
    {
        var generated = options.SigningKey is null;
        if (!LocalSecretKey.TryCreateExclusive(KeyFiles.SecretKeyPath, KeyFiles.Group))
        {
            throw StoreErrors.AdoptionRefused(KeyFiles.SecretKeyPath, "already exists");
        }

        var made = new List<string> { KeyFiles.SecretKeyPath };
        SigningKey? key = options.SigningKey;
        try
        {
            if (key is null)
            {
                key = CreateLocalKey(KeyFiles.SignerKeyPath);
                made.Add(KeyFiles.SignerKeyPath);
            }

            var draft = new RecordDraft(RecordTypes.StoreCreated, new JsonObject
            {
                ["certificate"] = Convert.ToBase64String(key.Certificate.RawData),
                ["fingerprint"] = key.Fingerprint,
                ["keyOrigin"] = generated ? KeyOrigins.Generated : KeyOrigins.Provided,
                ["subject"] = key.Certificate.Subject,
                ["generator"] = options.Generator,
            });
            var signer = key;
            _store.Append(transaction =>
            {
                // Another process may have created the genesis since this one looked.
                if (transaction.ReadHead() is null)
                {
                    RecordHead? head = null;
                    Insert(transaction, signer, draft, ref head);
                }

                RefreshState(transaction.LastSequenceOfTypes, transaction.ReadRecords);
                return 0;
            });
        }
        catch
        {
            RemoveKeysOfUnbornStore(made);
            throw;
        }
        finally
        {
            if (generated)
            {
                key?.Dispose();
            }
        }
    }

    /// <summary>
    /// Keys this open made for a store whose first record was not written are removed with it, so
    /// the next attempt does not find them and refuse them as placed by someone else.
    /// </summary>
    private void RemoveKeysOfUnbornStore(List<string> made)
    {
        try
        {
            if (_store.GetSummary().RecordCount != 0)
            {
                return;
            }

            foreach (var path in made)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is AuditGuardException or IOException or UnauthorizedAccessException)
        {
            // Left for the next connect to report: removing them is a courtesy, not a guarantee.
        }
    }

    private SigningKey CreateLocalKey(string pfx)
    {
        try
        {
            return LocalSigningKey.Create(pfx, _store.StoreId, _clock, KeyFiles.Group);
        }
        catch (AuditGuardException e) when (e.ErrorId == ErrorIds.SigningCertificateFileExists)
        {
            throw StoreErrors.AdoptionRefused(pfx, "already exists");
        }
    }

    /// <summary>
    /// A store that existed before this open and holds no record: the process that created it may
    /// be writing its genesis right now, so it is given a moment; a store that stays empty had
    /// its records removed (or its creation cut short), and no second chain is started in it.
    /// </summary>
    private void AwaitGenesis(TimeSpan wait)
    {
        var started = _clock.GetTimestamp();
        while (true)
        {
            using (var snapshot = _store.OpenSnapshot())
            {
                RefreshState(snapshot.LastSequenceOfTypes, snapshot.ReadRecords);
            }

            if (!_signers.IsEmpty)
            {
                return;
            }

            if (_clock.GetElapsedTime(started) >= wait)
            {
                throw StoreErrors.Emptied(Location);
            }

            Thread.Sleep(50);
        }
    }

    private static RecordDraft CheckpointDraft() => new(RecordTypes.Checkpoint, []);

    private IReadOnlyList<RecordRow> Commit(PendingAppend mine)
    {
        bool lead;
        lock (_queueGate)
        {
            _pending.Add(mine);
            lead = !_leaderActive;
            _leaderActive = true;
        }

        // The first thread in leads: it commits everything queued meanwhile in one
        // transaction, then whatever queued during that commit, until the queue is empty.
        while (lead)
        {
            List<PendingAppend> batch;
            lock (_queueGate)
            {
                if (_pending.Count == 0)
                {
                    _leaderActive = false;
                    break;
                }

                batch = [.. _pending];
                _pending.Clear();
            }

            try
            {
                CommitBatch(batch);
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(e);
                }
            }
        }

        return mine.Done.Task.GetAwaiter().GetResult();
    }

    private void CommitBatch(List<PendingAppend> batch)
    {
        SigningKey? nextKey = null;
        List<IReadOnlyList<RecordRow>> results;
        try
        {
            results = _store.Append(transaction =>
            {
                lock (_stateGate)
                {
                    var head = transaction.ReadHead();
                    // Unless another session appended since this one's last commit, the signers
                    // and settings folded here are still current.
                    if (head?.Sequence != _committedHead)
                    {
                        RefreshState(transaction.LastSequenceOfTypes, transaction.ReadRecords);
                    }

                    var key = _key;
                    var written = new List<IReadOnlyList<RecordRow>>(batch.Count);
                    foreach (var pending in batch)
                    {
                        var rows = new List<RecordRow>(pending.Drafts.Count);
                        foreach (var draft in pending.Drafts)
                        {
                            EnsureCanSign(key);
                            var row = Insert(transaction, key!, Resolve(draft, head), ref head);
                            rows.Add(row);
                            if (row.Type != RecordTypes.Checkpoint && (row.Sequence + 1) % _settings.CheckpointIntervalValue == 0)
                            {
                                Insert(transaction, key!, Resolve(CheckpointDraft(), head), ref head);
                            }
                        }

                        if (pending.NextKey is not null)
                        {
                            key = nextKey = pending.NextKey;
                        }

                        written.Add(rows);
                    }

                    _committedHead = head?.Sequence;
                    return written;
                }
            });
        }
        catch
        {
            // The transaction rolled back: what was folded inside it is void.
            lock (_stateGate)
            {
                _stateSequence = null;
                _committedHead = null;
            }

            throw;
        }

        if (nextKey is not null)
        {
            _key?.Dispose();
            _key = nextKey;
            _readOnlyReason = null;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(results[i]);
        }
    }

    /// <summary>A checkpoint's fields depend on the head at the moment it is written.</summary>
    private static RecordDraft Resolve(RecordDraft draft, RecordHead? head) =>
        draft.Type != RecordTypes.Checkpoint || head is not { } h
            ? draft
            : draft with
            {
                Fields = new JsonObject
                {
                    ["headSeq"] = h.Sequence,
                    ["headHash"] = h.HashHex,
                    ["count"] = h.Sequence + 1,
                },
            };

    private RecordRow Insert(IAppendTransaction transaction, SigningKey key, RecordDraft draft, ref RecordHead? head)
    {
        var sequence = head is { } h ? h.Sequence + 1 : 0;
        var previous = head?.Hash ?? RecordBody.GenesisPrevious;
        var time = _clock.GetUtcNow();
        var body = RecordBody.Build(_store.StoreId, sequence, previous, time, key.Fingerprint, draft);

        // Self-check before anything is stored: the bytes must be their own canonical form.
        if (!JsonCanonicalizer.IsCanonical(body))
        {
            throw LedgerErrors.RecordInvalid(draft.Type, "AuditGuard built a body that is not in canonical form.");
        }

        var hash = SHA256.HashData(body);
        var row = new RecordRow(sequence, hash, previous, draft.Type, draft.OperationId?.ToString("D"),
            Rfc3339.Format(time), body, key.SignDetached(body, time), key.Fingerprint);
        transaction.Insert(row);
        foreach (var projection in _projections)
        {
            if (projection.RecordTypes.Contains(row.Type)
                && projection.Derive(row, k => transaction.FindProjectionRow(projection.Table, k), rebuilding: false) is { } change)
            {
                transaction.Apply(change);
            }
        }

        foreach (var blob in draft.Blobs ?? [])
        {
            transaction.PutBlob(SHA256.HashData(blob), blob);
        }

        if (RecordTypes.StateTypes.Contains(row.Type))
        {
            Fold(row);
        }

        head = new RecordHead(sequence, hash);
        return row;
    }

    private void EnsureCanSign(SigningKey? key)
    {
        if (key is null)
        {
            throw LedgerErrors.SignerKeyUnavailable(Location, _readOnlyReason ?? "it has no signing key.");
        }

        if (!_signers.IsActive(key.Fingerprint))
        {
            throw LedgerErrors.SignerKeyUnavailable(Location,
                $"its signer '{key.Certificate.Subject}' was rotated or revoked in another session.");
        }
    }

    /// <summary>Re-folds signers and settings when a state record was appended since the last fold.</summary>
    private void RefreshState(Func<IReadOnlyCollection<string>, long?> newestOf, Func<RecordFilter, IEnumerable<RecordRow>> read)
    {
        var newest = newestOf(RecordTypes.StateTypes);
        if (newest == _stateSequence && newest is not null)
        {
            return;
        }

        _signers = new SignerRegistry();
        _settings = new StoreSettings();
        _stateSequence = null;
        foreach (var row in read(new RecordFilter { Types = RecordTypes.StateTypes, FromSequence = 0 }))
        {
            Fold(row);
        }
    }

    private void Fold(RecordRow row)
    {
        var body = ParsedBody.TryParse(row.Body, out _);
        if (body is not null && _signers.Admits(row, body))
        {
            if (RecordTypes.SignerTypes.Contains(body.Type))
            {
                _signers.Apply(body);
            }
            else if (body.Type == RecordTypes.SettingsChanged)
            {
                _settings.Apply(body);
            }
        }

        _stateSequence = row.Sequence;
    }

    private sealed record PendingAppend(IReadOnlyList<RecordDraft> Drafts, SigningKey? NextKey)
    {
        public TaskCompletionSource<IReadOnlyList<RecordRow>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
