using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Connectors;
using AuditGuard.Engine.Connectors.Extensions;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Evidence;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Central;
using AuditGuard.Engine.Storage.Sqlite;

namespace AuditGuard.Engine;

/// <summary>How a session is opened: with which signer, and the parts it is composed of.</summary>
public sealed record GuardSessionOptions
{
    /// <summary>For a store in a file: create its folder when it is missing (the per-user default store only).</summary>
    public bool CreateFolder { get; init; }

    /// <summary>For a store in a file: how long a locked store is waited for before AuditStoreBusy.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The store's signer, when the caller chose one; the session owns it from here on.</summary>
    public SigningKey? SigningKey { get; init; }

    /// <summary>What produced the store, written into a new store's genesis record.</summary>
    public string Generator { get; init; } = "AuditGuard";

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>How a running operation is told from an orphan; file locks in <see cref="RunningFolder"/> when null.</summary>
    public ILivenessProbe? Liveness { get; init; }

    /// <summary>Where running operations hold their locks; beside the store when null.</summary>
    public string? RunningFolder { get; init; }

    /// <summary>The connectors the session may use; the built-in ones when null.</summary>
    public ConnectorRegistry? Connectors { get; init; }

    /// <summary>The policy that decides each write; the store's own (set with Set-GuardPolicy) when null.</summary>
    public IPolicyEvaluator? Policy { get; init; }

    /// <summary>
    /// For a store in a file: the Unix group to share a new store with (its members write it and
    /// use its keys); for an existing store, the group it must already be shared with.
    /// </summary>
    public string? Group { get; init; }

    /// <summary>For a central store: the folder this host keeps its keys for it in; the user's AuditGuard folder when null.</summary>
    public string? CentralKeyFolder { get; init; }
}

/// <summary>
/// The composition root: one open store with its ledger, the connectors, the policy, the clock
/// and the operation runner, put together once. It is the only way into the engine the cmdlets
/// use, and it holds all the state a session has; nothing in the engine is static state.
/// </summary>
public sealed class GuardSession : IDisposable
{
    private readonly AuditLedger _ledger;
    private readonly OperationRunner _operations;
    private readonly StorePolicy _storePolicy;
    private readonly ConnectorRegistrations _registrations;

    private readonly Func<Action<string>?, IDisposable>? _reportWaits;

    // For a store in a central database: how to reach it again, and its siblings (never shown: it may hold a password).
    private CentralStoreRequest? _central;
    private string? _centralKeyFolder;

    private GuardSession(AuditLedger ledger, ConnectorRegistry connectors, IPolicyEvaluator? policy, ILivenessProbe liveness, TimeProvider clock, string? group,
        Func<Action<string>?, IDisposable>? reportWaits)
    {
        _ledger = ledger;
        Group = group;
        _reportWaits = reportWaits;
        _registrations = new ConnectorRegistrations(ledger);
        Connectors = connectors.WithExtensions(_registrations.Active, () => TimeSpan.FromSeconds(ledger.Setting(StoreSettings.ConnectorTimeoutSeconds)));
        _storePolicy = new StorePolicy(ledger);
        Policy = policy ?? _storePolicy;
        Clock = clock;
        _operations = new OperationRunner(ledger, Connectors, Policy, liveness, clock);
    }

    /// <summary>Where the store is: the full path of its database file.</summary>
    public string Location => _ledger.Location;

    public Guid StoreId => _ledger.StoreId;

    public bool IsReadOnly => _ledger.IsReadOnly;

    /// <summary>The Unix group the store and its own keys are shared with, or null when they are its owner's alone.</summary>
    public string? Group { get; }

    public ConnectorRegistry Connectors { get; }

    public IPolicyEvaluator Policy { get; }

    public TimeProvider Clock { get; }

    /// <summary>Opens (creating when new) the store in the SQLite file <paramref name="path"/>, with its keys beside it, and composes a session over it.</summary>
    public static GuardSession OpenFile(string path, GuardSessionOptions options)
    {
        SqliteRecordStore store;
        UnixGroup? group;
        string? madeLockFolder = null;
        try
        {
            group = options.Group is null ? null : ResolveGroup(options.Group);
            ThrowIfKeyFilesPrecede(path, group);
            madeLockFolder = options.RunningFolder is null ? MakeLockFolderFirst(path, group) : null;
            store = SqliteRecordStore.Open(path, new SqliteStoreOptions
            {
                CreateFolder = options.CreateFolder,
                BusyTimeout = options.BusyTimeout,
                Group = group,
                Clock = options.Clock,
            });
        }
        catch
        {
            options.SigningKey?.Dispose();
            RemoveEmptyFolder(madeLockFolder);
            throw;
        }

        var created = store.IsNew;
        try
        {
            // Another process may have made the file first, without the group asked for.
            if (group is not null && store.SharedGroup?.Id != group.Id)
            {
                throw StoreErrors.GroupMismatch(store.Location, group.Name, store.SharedGroup?.Name);
            }
        }
        catch
        {
            store.Dispose();
            options.SigningKey?.Dispose();
            throw;
        }

        try
        {
            return Open(store, LocalKeyFiles.Beside(store.Location) with { Group = store.SharedGroup },
                options with { RunningFolder = options.RunningFolder ?? store.Location + ".running" });
        }
        catch when (created)
        {
            SqliteRecordStore.RemoveIfUnborn(store.Location);
            RemoveEmptyFolder(madeLockFolder);
            throw;
        }
    }

    /// <summary>
    /// For a store about to be created, makes its lock folder before its file: once the store
    /// exists, a member of its group could otherwise make the folder first and own the locks of
    /// everyone's writes. Returns the folder when this call made it.
    /// </summary>
    private static string? MakeLockFolderFirst(string path, UnixGroup? group)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null; // The store reports the path itself.
        }

        var running = full + ".running";
        if (File.Exists(full) || Directory.Exists(running) || !Directory.Exists(Path.GetDirectoryName(full)))
        {
            return null;
        }

        try
        {
            new FileLockLivenessProbe(running, group).EnsureFolder();
            return running;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // The folder the store is made in reports what is wrong with it.
        }
    }

    private static void RemoveEmptyFolder(string? folder)
    {
        if (folder is null)
        {
            return;
        }

        try
        {
            Directory.Delete(folder, recursive: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty, or no longer there: it is left as it is.
        }
    }

    private static UnixGroup ResolveGroup(string name)
    {
        if (OperatingSystem.IsWindows())
        {
            throw StoreErrors.GroupUnsupported(name, "Windows governs sharing with ACLs");
        }

        var group = UnixGroup.Find(name) ?? throw StoreErrors.GroupUnknown(name);
        return group.IncludesCurrentProcess() ? group : throw StoreErrors.GroupNotJoined(name);
    }

    /// <summary>
    /// Opens (creating when the request allows) a store in a central PostgreSQL database and composes a
    /// session over it. This host signs with the certificate in the options, or with its own key for
    /// that store in the user's AuditGuard folder; running operations are held by locks on the server,
    /// so any host can tell a running operation from an orphan.
    /// </summary>
    public static GuardSession OpenCentral(CentralStoreRequest request, GuardSessionOptions options)
    {
        IRecordStore store;
        LocalKeyFiles keys;
        try
        {
            store = CentralStores.Postgres().Open(request with { Clock = options.Clock, BusyTimeout = options.BusyTimeout });
        }
        catch
        {
            options.SigningKey?.Dispose();
            throw;
        }

        try
        {
            keys = LocalKeyFiles.ForCentralStore(store.StoreId, options.CentralKeyFolder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            store.Dispose();
            options.SigningKey?.Dispose();
            throw SigningErrors.SecretKeyInaccessible(options.CentralKeyFolder
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "AuditGuard", "central"), e);
        }

        var session = Open(store, keys, options with { Liveness = options.Liveness ?? new StoreLockLivenessProbe((IStoreLocks)store, store.Location) }, secretKeyPerHost: true);
        session._central = request with { Create = false, StoreId = store.StoreId };
        session._centralKeyFolder = options.CentralKeyFolder;
        return session;
    }

    /// <summary>True for a store in a central database.</summary>
    public bool IsCentral => _central is not null;

    /// <summary>The stores of this session's central database, this one among them; empty for a store in a file.</summary>
    public IReadOnlyList<CentralStoreEntry> SiblingStores() => _central is { } central ? ListCentralStores(central.ConnectionString) : [];

    /// <summary>
    /// Runs <paramref name="read"/> on another store of this session's central database (or on this
    /// one), opened for it and closed after: it signs with nothing this host was not given for it.
    /// Reports across every chain of a database (-AllStores) read through this.
    /// </summary>
    public T WithSibling<T>(Guid storeId, Func<GuardSession, T> read)
    {
        if (storeId == StoreId)
        {
            return read(this);
        }

        if (_central is not { } central)
        {
            throw StoreErrors.NotFound(storeId.ToString("D"));
        }

        using var sibling = OpenCentral(central with { StoreName = storeId.ToString("D"), StoreId = storeId },
            new GuardSessionOptions { Clock = Clock, CentralKeyFolder = _centralKeyFolder });
        return read(sibling);
    }

    /// <summary>The stores of a central database (Get-AuditStore -ConnectionString -All).</summary>
    public static IReadOnlyList<CentralStoreEntry> ListCentralStores(string connectionString) => CentralStores.Postgres().List(connectionString);

    /// <summary>Creates or migrates a central database's schema and roles (Initialize-AuditDatabase).</summary>
    public static CentralDatabaseReport InitializeCentralDatabase(string connectionString, CentralDatabaseOptions options) =>
        CentralStores.Postgres().Initialize(connectionString, options, [new OperationsProjection().Table]);

    /// <summary>Where a connection string leads, without its password.</summary>
    public static string DescribeCentralDatabase(string connectionString) => CentralStores.Postgres().Describe(connectionString);

    /// <summary>Composes a session over an open store (which it owns from here on), its own keys kept in <paramref name="keyFiles"/>.</summary>
    public static GuardSession Open(IRecordStore store, LocalKeyFiles keyFiles, GuardSessionOptions options) => Open(store, keyFiles, options, secretKeyPerHost: false);

    private static GuardSession Open(IRecordStore store, LocalKeyFiles keyFiles, GuardSessionOptions options, bool secretKeyPerHost)
    {
        var ledger = AuditLedger.Open(store, new LedgerOpenOptions
        {
            KeyFiles = keyFiles,
            SigningKey = options.SigningKey,
            Generator = options.Generator,
            Projections = [new OperationsProjection()],
            Clock = options.Clock,
            SecretKeyPerHost = secretKeyPerHost,
        });
        var liveness = options.Liveness ?? new FileLockLivenessProbe(options.RunningFolder
            ?? Path.Combine(Path.GetDirectoryName(keyFiles.SecretKeyPath)!, store.StoreId.ToString("D") + ".running"), keyFiles.Group,
            FileStatus.Of(store.Location, followLinks: true)?.OwnerId);
        return new GuardSession(ledger, options.Connectors ?? ConnectorRegistry.CreateBuiltIn(), options.Policy, liveness, options.Clock, keyFiles.Group?.Name,
            store is SqliteRecordStore sqlite ? sqlite.ReportWaitsTo : null);
    }

    /// <summary>
    /// Key files for a store that does not exist yet were put there by someone else: refused
    /// before anything is created, so a refusal leaves nothing behind.
    /// </summary>
    private static void ThrowIfKeyFilesPrecede(string path, UnixGroup? group)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return; // The store reports the path itself.
        }

        var keys = LocalKeyFiles.Beside(full);
        if (!File.Exists(full) && (File.Exists(keys.SignerKeyPath) || File.Exists(keys.SecretKeyPath)))
        {
            throw StoreErrors.AdoptionRefused(File.Exists(keys.SignerKeyPath) ? keys.SignerKeyPath : keys.SecretKeyPath,
                "is a key file for a store that does not exist yet");
        }

        // A lock folder, or a link in its place, would take the locks of the store's writes wherever
        // it leads; only an empty one the caller made for this store before (one left by a store
        // that was removed) is used again.
        var running = full + ".running";
        if (!File.Exists(full) && (Directory.Exists(running) || File.Exists(running)) && !IsOwnEmptyLockFolder(running, group))
        {
            throw StoreErrors.AdoptionRefused(running, "is a lock folder for a store that does not exist yet");
        }
    }

    /// <summary>
    /// Tells <paramref name="report"/> when a write made on this thread of work waits for a lock
    /// (another process or runspace is writing), until the returned scope is disposed; null tells no one.
    /// </summary>
    public IDisposable ReportLockWaits(Action<string>? report) => _reportWaits?.Invoke(report) ?? NoReport.Instance;

    private sealed class NoReport : IDisposable
    {
        public static readonly NoReport Instance = new();

        public void Dispose()
        {
        }
    }

    private static bool IsOwnEmptyLockFolder(string running, UnixGroup? group) =>
        FileStatus.Of(running) is { } status && new FileLockLivenessProbe(running, group).IsTrusted(status)
        && status.OwnerId == FileStatus.CurrentUserId() && !Directory.EnumerateFileSystemEntries(running).Any();

    /// <summary>The store's count and head, with the signer in use and the settings in force.</summary>
    public LedgerSummary Describe() => _ledger.GetSummary();

    /// <summary>Streams the records <paramref name="filter"/> selects, oldest first, from one snapshot.</summary>
    public IEnumerable<RecordRow> ReadRecords(RecordFilter filter) => _ledger.ReadRecords(filter);

    /// <summary>The certificate of a signer the chain registered (now or before), or null.</summary>
    public X509Certificate2? FindSignerCertificate(string fingerprint) => _ledger.FindSignerCertificate(fingerprint);

    /// <summary>Verifies the chain, its derived tables and blobs, and, when given, against a witness.</summary>
    public ChainVerificationResult Verify(VerifyOptions options) => _ledger.Verify(options);

    public RecordRow WriteCheckpoint() => _ledger.WriteCheckpoint();

    /// <summary>
    /// Ships this store's records to its copy in a central database (Sync-AuditStore), creating the
    /// copy, named <paramref name="storeName"/> (this host and the store's id when null), on first use.
    /// </summary>
    public ShipResult ShipToCentral(string connectionString, string? storeName, Action<long, long>? progress)
    {
        var request = new CentralStoreRequest(connectionString, storeName ?? $"{Environment.MachineName} {StoreId:D}") { StoreId = StoreId, Clock = Clock, Copy = true };
        using var destination = CentralStores.Postgres().Open(request);
        return Ship(destination, progress);
    }

    /// <summary>Ships this store's records to its copy in the SQLite file <paramref name="path"/>, created with this store's id when missing.</summary>
    public ShipResult ShipToFile(string path, Action<long, long>? progress)
    {
        using var destination = SqliteRecordStore.Open(path, new SqliteStoreOptions { StoreId = StoreId, Clock = Clock });
        return Ship(destination, progress);
    }

    private ShipResult Ship(IRecordStore destination, Action<long, long>? progress)
    {
        using var snapshot = _ledger.OpenSnapshot();
        return ChainShipping.Ship(snapshot, destination, [new OperationsProjection()], progress);
    }

    /// <summary>The head of this store's copy in a central database, to verify the store against (Test-AuditChain -Witness).</summary>
    public WitnessRecord CentralWitness(string connectionString)
    {
        var provider = CentralStores.Postgres();
        var entry = provider.List(connectionString).FirstOrDefault(s => s.StoreId == StoreId)
            ?? throw StoreErrors.CopyNotFound(provider.Describe(connectionString), StoreId);
        if (!entry.IsCopy)
        {
            throw LedgerErrors.WitnessUnreadable(entry.Location,
                "it is a store hosts write to, not a copy shipped with Sync-AuditStore: a store cannot witness itself. Ship the store to a second database, and verify against that.");
        }

        using var copy = provider.Open(new CentralStoreRequest(connectionString, entry.Name) { StoreId = StoreId, Create = false, Copy = true });
        using var snapshot = copy.OpenSnapshot();

        // The copy vouches for the store only as a whole chain that verifies: a row planted in it (a
        // replayed record far past its head, say) must not become the witness.
        var verified = ChainVerifier.Verify(new SnapshotChainSource(snapshot, [new OperationsProjection()]), new VerifyOptions());
        if (!verified.IsValid || verified.HeadSequence is not { } sequence)
        {
            var problem = verified.Verdicts.FirstOrDefault(v => v.Severity == VerdictSeverity.Error);
            throw LedgerErrors.WitnessUnreadable(copy.Location, verified.HeadSequence is null
                ? "the copy holds no record; ship the store there with Sync-AuditStore first."
                : $"the copy does not verify ({problem?.Kind}: {problem?.Message}), so it vouches for nothing. Keep it for investigation, and verify against another witness.");
        }

        var head = snapshot.ReadRecords(new RecordFilter { Sequences = [sequence] }).FirstOrDefault(r => r.HashHex == verified.HeadHash)
            ?? throw LedgerErrors.WitnessUnreadable(copy.Location, "the copy's head changed while it was verified; run the check again.");
        return new WitnessRecord(copy.Location, head.Body, head.Signature);
    }

    /// <summary>Writes the newest checkpoint as a witness: its body to <paramref name="path"/>, its signature beside it.</summary>
    public RecordRow ExportWitness(string path, bool overwrite)
    {
        var checkpoint = _ledger.LatestCheckpoint() ?? throw LedgerErrors.CheckpointNotFound(Location);
        Witness.Export(checkpoint, path, overwrite);
        return checkpoint;
    }

    /// <summary>
    /// A consistent, complete copy of the store as one SQLite file at <paramref name="destination"/>
    /// (never over a file, never through a link), read back before it is reported.
    /// </summary>
    public StoreSummary Backup(string destination)
    {
        EvidenceFiles.CheckTargets([destination], overwrite: false);
        return _ledger.CopyTo(destination);
    }

    public RecordRow ChangeSetting(string name, object? value) => _ledger.ChangeSetting(name, value);

    /// <summary>Refuses a certificate that could not sign records (algorithm, validity, key usage), before anything is asked or written.</summary>
    public static void CheckSignerCertificate(X509Certificate2 certificate) =>
        SigningCertificateRules.ThrowIfUnfitToSignHere(certificate, TimeProvider.System.GetUtcNow(), certificate.Subject);

    /// <summary>Registers another signer, whose key is elsewhere (Add-AuditSigner).</summary>
    public RecordRow AddSigner(X509Certificate2 certificate) => _ledger.AddSigner(certificate);

    /// <summary>Ends a signer by its fingerprint (Revoke-AuditSigner).</summary>
    public RecordRow RevokeSigner(string fingerprint, string? reason) => _ledger.RevokeSigner(fingerprint, reason);

    /// <summary>Every signer the chain registered, oldest first, and whether each may sign now.</summary>
    public IReadOnlyList<RegisteredSigner> Signers() => _ledger.Signers();

    /// <summary>Rotates the store's signer to <paramref name="key"/>, which the session owns from here on.</summary>
    public RecordRow RotateSigner(SigningKey key) => _ledger.RotateSigner(key);

    /// <summary>
    /// Registers the connector module <paramref name="nameOrPath"/> (Register-GuardConnector): loads it
    /// through <paramref name="host"/>, checks the contract and its capability record, and records a
    /// connector.registered record binding its version and the digest of its files. The name is
    /// <paramref name="name"/>, else the one its capability gives, else the module's.
    /// </summary>
    public ExtensionRegistration RegisterConnector(IExtensionHost host, string nameOrPath, string? name, ActorIdentity registeredBy)
    {
        _ledger.ThrowIfReadOnly();
        var module = host.Inspect(nameOrPath);
        ExtensionContract.Check(module, null);
        var timeout = TimeSpan.FromSeconds(_ledger.Setting(StoreSettings.ConnectorTimeoutSeconds));
        var output = host.Invoke(module, name ?? module.Name, ExtensionContract.GetCapability, new Dictionary<string, object?>(), timeout);
        var stated = output is [IReadOnlyDictionary<string, object?> map] && map.FirstOrDefault(m => string.Equals(m.Key, "Name", StringComparison.OrdinalIgnoreCase)).Value is string named
            ? named : null;
        var chosen = name ?? stated ?? module.Name;
        if (string.IsNullOrWhiteSpace(chosen) || RecordableText.HasControlOrBrokenCharacters(chosen) || chosen.Length > 64)
        {
            throw ConnectorErrors.ContractInvalid(module.Name, [$"'{chosen}' is not a connector name: one line of plain text, at most 64 characters"]);
        }

        if (!ExtensionFiles.IsWithin(module.ModuleBase, module.ConnectorModulePath))
        {
            throw ConnectorErrors.ContractInvalid(module.Name, [$"its connector module '{module.ConnectorModulePath}' is outside the module's folder '{module.ModuleBase}', whose files the registration binds"]);
        }

        var capabilities = ExtensionCapabilities.Parse(chosen, output);
        ExtensionContract.Check(module, capabilities);
        if (Connectors.IsComposed(chosen))
        {
            throw ConnectorErrors.NameConflict(chosen, "built in");
        }

        if (_registrations.Active().FirstOrDefault(r => string.Equals(r.Name, chosen, StringComparison.OrdinalIgnoreCase)) is { } existing
            && !string.Equals(existing.Module.ModuleBase, module.ModuleBase, StringComparison.Ordinal))
        {
            throw ConnectorErrors.NameConflict(chosen, $"registered for the module in '{existing.Module.ModuleBase}'");
        }

        return _registrations.Register(chosen, module, ExtensionFiles.Digest(chosen, module.ModuleBase), capabilities, registeredBy);
    }

    /// <summary>Records that the extension connector <paramref name="name"/> is no longer registered; it cannot be used from then on.</summary>
    public RecordRow UnregisterConnector(string name, ActorIdentity unregisteredBy)
    {
        _ledger.ThrowIfReadOnly();
        return _registrations.Unregister(name, unregisteredBy);
    }

    /// <summary>The extension connectors registered in the store now.</summary>
    public IReadOnlyList<ExtensionRegistration> RegisteredConnectors() => _registrations.Active();

    /// <summary>
    /// Exports an evidence bundle for <paramref name="request"/> to <paramref name="path"/>, from one
    /// consistent view of the store, signed by the store's signer (or by <paramref name="exporter"/>).
    /// </summary>
    public BundleSummary ExportEvidence(BundleRequest request, string path, SigningKey? exporter, Action<string, long, long>? progress) =>
        ExportEvidence(request, path, ExportSigner(exporter), progress);

    /// <summary>
    /// Exports one evidence set covering every store of this session's central database
    /// (Export-EvidenceBundle -AllStores): each chain's bundle in its own folder, every manifest signed
    /// by this session's signer (or by <paramref name="exporter"/>). A store in a file is a set of one.
    /// </summary>
    public BundleSummary ExportEvidenceAcrossStores(BundleRequest request, string path, SigningKey? exporter, Action<string, long, long>? progress)
    {
        var sign = ExportSigner(exporter);
        var stores = IsCentral ? SiblingStores().Select(s => (s.StoreId, s.Name, s.Location)).ToList() : [(StoreId, Path.GetFileName(Location), Location)];
        var members = stores.Select(store => new EvidenceSetMember(store.StoreId, store.Name, store.Location,
            bundle => WithSibling(store.StoreId, session => session.ExportEvidence(request, bundle, sign, null)))).ToList();
        return EvidenceSetWriter.Write(members, request, path, sign, progress);
    }

    private Func<byte[], (byte[] Signature, X509Certificate2 Certificate)> ExportSigner(SigningKey? exporter) => manifest =>
        exporter is null ? _ledger.SignExport(manifest) : (exporter.SignDetachedWithCertificate(manifest, Clock.GetUtcNow()), exporter.Certificate);

    private BundleSummary ExportEvidence(BundleRequest request, string path, Func<byte[], (byte[] Signature, X509Certificate2 Certificate)> sign, Action<string, long, long>? progress)
    {
        // Without the store's secret key (a read-only copy), redacted values hash alike within this bundle only.
        var secret = _ledger.SecretKey ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        progress?.Invoke("Verifying the chain", 0, 0);
        var verification = _ledger.Verify(new VerifyOptions());
        using var snapshot = _ledger.OpenSnapshot();
        var source = new SessionEvidence(this, snapshot, verification, sign, secret);
        return EvidenceBundleWriter.Write(source, request, path, progress);
    }

    /// <summary>Verifies an evidence bundle offline (Test-EvidenceBundle); needs no store.</summary>
    public static ChainVerificationResult VerifyEvidence(string path, VerifyOptions options, IReadOnlyCollection<string>? exporters = null) =>
        EvidenceBundleVerifier.Verify(path, options, exporters);

    private sealed class SessionEvidence(GuardSession session, IRecordSnapshot snapshot, ChainVerificationResult verification,
        Func<byte[], (byte[] Signature, X509Certificate2 Certificate)> sign, byte[] secret) : IEvidenceSource
    {
        public IRecordSnapshot Snapshot => snapshot;

        public IReadOnlyList<PolicyRecord> PolicyHistory { get; } = session._storePolicy.History();

        public ChainVerificationResult Verification => verification;

        public byte[] RedactionKey => secret;

        public IEnumerable<OperationView> Operations(OperationQuery query) => session._operations.ViewsIn(snapshot, query);

        public X509Certificate2? SignerCertificate(string fingerprint) => session._ledger.FindSignerCertificate(fingerprint);

        public (byte[] Signature, X509Certificate2 Certificate) Sign(byte[] manifest) => sign(manifest);
    }

    /// <summary>The store's active policy, or null when none was ever set.</summary>
    public PolicyRecord? ActivePolicy() => _storePolicy.Active();

    /// <summary>Every policy the store has had, oldest first.</summary>
    public IReadOnlyList<PolicyRecord> PolicyHistory() => _storePolicy.History();

    /// <summary>Makes <paramref name="document"/> the store's policy with a policy.set record (its rules and source text bound by digest).</summary>
    public PolicyRecord SetPolicy(PolicyDocument document, string sourceName, string sourceText, ActorIdentity setBy, string? reason) =>
        _storePolicy.Set(document, sourceName, sourceText, setBy, reason);

    /// <summary>What <paramref name="document"/> (or, when null, the policy that decides this session's writes) decides for <paramref name="request"/>, running nothing.</summary>
    public PolicyDecision TestPolicy(PolicyDocument? document, PolicyRequest request) =>
        (document is null ? Policy : new PolicyEvaluator(document)).Evaluate(request);

    /// <summary>The request a policy decides on for a write described by hand (Test-GuardPolicy), resolved as planning would.</summary>
    public PolicyRequest DescribeForPolicy(string connector, string? action, string target, RiskLevel? risk, PolicyActor actor, DateTimeOffset at, IScriptHost host) =>
        _operations.DescribeForPolicy(connector, action, target, risk, actor, at, host);

    /// <summary>Works a request out up to the gate, recording nothing: the same plan serves a dry run and a real run.</summary>
    public OperationPlan PlanOperation(OperationRequest request, IScriptHost host) => _operations.Plan(request, host);

    /// <summary>Plans undoing an operation, as an operation of its own (Undo-Operation); the plan is recorded and run like any other.</summary>
    public OperationPlan PlanUndo(Guid operationId, UndoRequest request, IScriptHost host) => _operations.PlanUndo(operationId, request, host);

    public OperationView RecordRefusal(OperationPlan plan) => _operations.RecordRefusal(plan);

    public OperationView RecordDryRun(OperationPlan plan) => _operations.RecordDryRun(plan);

    /// <summary>The dry run a read-only store cannot record: the intent as it would be recorded, with no records.</summary>
    public OperationView PreviewDryRun(OperationPlan plan) => _operations.PreviewDryRun(plan);

    public OperationView ExecuteOperation(OperationPlan plan, out Exception? failure) => _operations.Execute(plan, out failure);

    /// <summary>Records an approver's decision (approve, deny, or review a break-glass write) on an operation.</summary>
    public OperationView DecideOperation(Guid operationId, ApprovalRequest request) => _operations.Decide(operationId, request);

    /// <summary>Runs an approved operation from its recorded intent; <paramref name="secrets"/> gives again the values recorded only as keyed hashes.</summary>
    public OperationView ResumeOperation(Guid operationId, IReadOnlyDictionary<string, object?> secrets, IScriptHost host, ActorIdentity resumedBy, out Exception? failure) =>
        _operations.Resume(operationId, secrets, host, resumedBy, out failure);

    /// <summary>Settles an orphan; <paramref name="force"/> settles one whose liveness this host cannot tell, and is recorded.</summary>
    public OperationView RepairOperation(Guid operationId, ActorIdentity repairedBy, bool force = false, IScriptHost? host = null) =>
        _operations.Repair(operationId, repairedBy, force, host ?? ProcessScriptHost.Instance);

    /// <summary>The operations <paramref name="query"/> selects; the ids of those whose records cannot be read are added to <paramref name="unreadable"/>.</summary>
    public IReadOnlyList<OperationView> QueryOperations(OperationQuery query, bool orphanedOnly, ICollection<Guid>? unreadable = null) =>
        _operations.Query(query, orphanedOnly, unreadable);

    public OperationView FindOperation(Guid operationId) => _operations.Find(operationId);

    public bool OperationExists(Guid operationId) => _operations.Exists(operationId);

    /// <summary>The operation a whole id, or a unique run of its first or last hex digits, names.</summary>
    public Guid ResolveOperationId(string text) => _operations.ResolveId(text);

    public void Dispose() => _ledger.Dispose();
}
