using System.Security.Cryptography.X509Certificates;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>A store's description with its ledger state: the signer in use and the settings in force.</summary>
public sealed record LedgerSummary(
    StoreSummary Store,
    X509Certificate2? Signer,
    string? SignerFingerprint,
    bool IsReadOnly,
    string? ReadOnlyReason,
    IReadOnlyDictionary<string, object?> Settings);
