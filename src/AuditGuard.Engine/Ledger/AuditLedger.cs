using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Canonical;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using Microsoft.Data.Sqlite;

namespace AuditGuard.Engine.Ledger;

/// <summary>
/// The append-only, hash-chained, signed ledger of one store. Appends from any number of
/// threads share transactions (group commit); appends from other processes serialise on
/// SQLite's write lock. The signers and settings in force are folded from the chain and
/// refreshed whenever another session changed them.
/// </summary>
public sealed class AuditLedger : IDisposable
{
    /// <summary>Tables derived from the chain, updated in each append's transaction and checked by the verifier.</summary>
    internal static readonly ILedgerIndex[] Indexes = [new Operations.OperationIndex()];

    private readonly AuditStore _store;
    private readonly TimeProvider _clock;
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

    private AuditLedger(AuditStore store)
    {
        _store = store;
        _clock = store.Options.Clock;
    }

    public AuditStore Store => _store;

    public bool IsReadOnly => _key is null;

    /// <summary>The store's secret (HMAC) key, or null when it is not available here.</summary>
    internal byte[]? SecretKey { get; private set; }

    public static string SignerKeyPath(string databasePath) => databasePath + ".signer.pfx";

    public static string SecretKeyPath(string databasePath) => databasePath + ".secret.key";

    /// <summary>Opens (creating when new) the store at <paramref name="path"/> and its ledger.</summary>
    public static AuditLedger Open(string path, LedgerOpenOptions? options = null)
    {
        options ??= new LedgerOpenOptions();
        AuditStore? store = null;
        try
        {
            store = AuditStore.Open(path, options.Store);
            var ledger = new AuditLedger(store);
            ledger.Initialise(options);
            return ledger;
        }
        catch
        {
            store?.Dispose();
            options.SigningKey?.Dispose();
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
                throw new ArgumentException($"'{draft.Type}' records are written by the ledger itself.", nameof(drafts));
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

    /// <summary>The newest checkpoint record, or null when the store has none.</summary>
    public RecordRow? LatestCheckpoint() =>
        _store.ReadRecords(new RecordFilter { Types = [RecordTypes.Checkpoint], Last = 1 }).FirstOrDefault();

    public LedgerSummary GetSummary()
    {
        lock (_stateGate)
        {
            using var reader = _store.OpenReader();
            RefreshState(reader, null);
            return new LedgerSummary(_store.GetSummary(), _key?.Certificate, _key?.Fingerprint, IsReadOnly, _readOnlyReason, _settings.Current);
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
                using var reader = _store.OpenReader();
                RefreshState(reader, null);
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
        using (var reader = _store.OpenReader())
        {
            RefreshState(reader, null);
        }

        if (_signers.IsEmpty)
        {
            CreateGenesis(options);
        }

        SecretKey = TryLoadKeyFile(() => LocalSecretKey.TryLoad(SecretKeyPath(_store.Path)), out _);
        if (options.SigningKey is { } provided)
        {
            if (!_signers.IsActive(provided.Fingerprint))
            {
                throw LedgerErrors.SignerNotRegistered(_store.Path, provided.Certificate.Subject, provided.Fingerprint);
            }

            _key = provided;
            return;
        }

        var local = TryLoadKeyFile(() => LocalSigningKey.TryLoad(SignerKeyPath(_store.Path), _clock), out var unusable);
        if (local is not null && _signers.IsActive(local.Fingerprint))
        {
            _key = local;
            return;
        }

        local?.Dispose();
        _readOnlyReason = unusable is not null ? $"its key file cannot be used: {unusable.Message}"
            : local is null ? $"its signing key is not here (no '{SignerKeyPath(_store.Path)}' and no certificate given)."
            : "the store's own key beside the database is no longer a registered signer (it was rotated or revoked).";
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

    private void CreateGenesis(LedgerOpenOptions options)
    {
        var pfx = SignerKeyPath(_store.Path);
        var generated = options.SigningKey is null;
        var key = options.SigningKey ?? LocalSigningKey.TryLoad(pfx, _clock) ?? CreateLocalKey(pfx);
        LocalSecretKey.LoadOrCreate(SecretKeyPath(_store.Path));
        var draft = new RecordDraft(RecordTypes.StoreCreated, new JsonObject
        {
            ["certificate"] = Convert.ToBase64String(key.Certificate.RawData),
            ["fingerprint"] = key.Fingerprint,
            ["keyOrigin"] = generated ? KeyOrigins.Generated : KeyOrigins.Provided,
            ["subject"] = key.Certificate.Subject,
            ["generator"] = options.Generator,
        });

        try
        {
            _store.Write(writer =>
            {
                // Another process may have created the genesis since this one looked.
                if (writer.ReadHead() is null)
                {
                    (long, byte[])? head = null;
                    Insert(writer, key, draft, ref head);
                }

                RefreshState(writer.Connection, null);
                return 0;
            });
        }
        finally
        {
            if (generated)
            {
                key.Dispose();
            }
        }
    }

    private SigningKey CreateLocalKey(string pfx)
    {
        try
        {
            return LocalSigningKey.Create(pfx, _store.StoreId, _clock);
        }
        catch (AuditGuardException e) when (e.ErrorId == "SigningCertificateFileExists")
        {
            // A process racing to create the same store wrote the key first: use it.
            return LocalSigningKey.TryLoad(pfx, _clock)!;
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
            results = _store.Write(writer =>
            {
                lock (_stateGate)
                {
                    var head = writer.ReadHead();
                    // Unless another session appended since this one's last commit, the signers
                    // and settings folded here are still current.
                    if (head?.Sequence != _committedHead)
                    {
                        RefreshState(writer.Connection, null);
                    }

                    var key = _key;
                    var written = new List<IReadOnlyList<RecordRow>>(batch.Count);
                    foreach (var pending in batch)
                    {
                        var rows = new List<RecordRow>(pending.Drafts.Count);
                        foreach (var draft in pending.Drafts)
                        {
                            EnsureCanSign(key);
                            var row = Insert(writer, key!, Resolve(draft, head), ref head);
                            rows.Add(row);
                            if (row.Type != RecordTypes.Checkpoint && (row.Sequence + 1) % _settings.CheckpointIntervalValue == 0)
                            {
                                Insert(writer, key!, Resolve(CheckpointDraft(), head), ref head);
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
    private static RecordDraft Resolve(RecordDraft draft, (long Sequence, byte[] Hash)? head) =>
        draft.Type != RecordTypes.Checkpoint || head is not { } h
            ? draft
            : draft with
            {
                Fields = new JsonObject
                {
                    ["headSeq"] = h.Sequence,
                    ["headHash"] = Hex.Lower(h.Hash),
                    ["count"] = h.Sequence + 1,
                },
            };

    private RecordRow Insert(RecordWriter writer, SigningKey key, RecordDraft draft, ref (long Sequence, byte[] Hash)? head)
    {
        var sequence = head is { } h ? h.Sequence + 1 : 0;
        var previous = head?.Hash ?? RecordBody.GenesisPrevious;
        var time = _clock.GetUtcNow();
        var body = RecordBody.Build(_store.StoreId, sequence, previous, time, key.Fingerprint, draft);

        // Self-check before anything is stored: the bytes must be their own canonical form.
        if (!JsonCanonicalizer.IsCanonical(body))
        {
            throw new InvalidOperationException($"AuditGuard built a non-canonical body for a '{draft.Type}' record; nothing was written.");
        }

        var hash = SHA256.HashData(body);
        var row = new RecordRow(sequence, hash, previous, draft.Type, draft.OperationId?.ToString("D"),
            Rfc3339.Format(time), body, key.SignDetached(body, time), key.Fingerprint);
        writer.Insert(row);
        foreach (var index in Indexes)
        {
            if (index.Indexes(row.Type))
            {
                index.Apply(writer, row);
            }
        }

        foreach (var blob in draft.Blobs ?? [])
        {
            writer.InsertBlob(SHA256.HashData(blob), blob);
        }

        if (RecordTypes.StateTypes.Contains(row.Type))
        {
            Fold(row);
        }

        head = (sequence, hash);
        return row;
    }

    private void EnsureCanSign(SigningKey? key)
    {
        if (key is null)
        {
            throw LedgerErrors.SignerKeyUnavailable(_store.Path, _readOnlyReason ?? "it has no signing key.");
        }

        if (!_signers.IsActive(key.Fingerprint))
        {
            throw LedgerErrors.SignerKeyUnavailable(_store.Path,
                $"its signer '{key.Certificate.Subject}' was rotated or revoked in another session.");
        }
    }

    /// <summary>Re-folds signers and settings when a state record was appended since the last fold.</summary>
    private void RefreshState(SqliteConnection connection, SqliteTransaction? transaction)
    {
        var newest = RecordTable.LastSequenceOfTypes(connection, transaction, RecordTypes.StateTypes);
        if (newest == _stateSequence && newest is not null)
        {
            return;
        }

        _signers = new SignerRegistry();
        _settings = new StoreSettings();
        _stateSequence = null;
        foreach (var row in RecordTable.Read(connection, new RecordFilter { Types = RecordTypes.StateTypes }, transaction))
        {
            Fold(row);
        }
    }

    private void Fold(RecordRow row)
    {
        var body = ParsedBody.TryParse(row.Body, out _);
        if (body is not null)
        {
            if (RecordTypes.SignerTypes.Contains(body.Type) && _signers.Check(body) is null)
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
