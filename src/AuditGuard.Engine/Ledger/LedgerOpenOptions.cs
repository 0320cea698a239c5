using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Ledger;

/// <summary>How a ledger is opened: the store options and, optionally, the signer to use.</summary>
public sealed record LedgerOpenOptions
{
    public StoreOpenOptions Store { get; init; } = StoreOpenOptions.Default;

    /// <summary>
    /// The signer the caller chose. Null means the store's own key beside the database,
    /// generated when a new store is created. The ledger takes ownership of the key.
    /// </summary>
    public SigningKey? SigningKey { get; init; }

    /// <summary>The version written into the genesis record, so the evidence says what produced it.</summary>
    public string Generator { get; init; } = "AuditGuard";
}
