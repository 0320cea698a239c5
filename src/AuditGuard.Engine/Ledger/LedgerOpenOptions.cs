using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Ledger;

/// <summary>How a ledger is opened over a store: its key files, the signer to use, and the tables derived from it.</summary>
public sealed record LedgerOpenOptions
{
    /// <summary>Where the store's own signing key and secret key are, or are made for a new store.</summary>
    public required LocalKeyFiles KeyFiles { get; init; }

    /// <summary>
    /// The signer the caller chose. Null means the store's own key (<see cref="LocalKeyFiles.SignerKeyPath"/>),
    /// generated when a new store is created. The ledger takes ownership of the key.
    /// </summary>
    public SigningKey? SigningKey { get; init; }

    /// <summary>The version written into the genesis record, so the evidence says what produced it.</summary>
    public string Generator { get; init; } = "AuditGuard";

    /// <summary>Tables derived from the chain, kept in step with every append.</summary>
    public IReadOnlyList<IProjection> Projections { get; init; } = [];

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Make the secret key when it is missing and this host can sign: in a central store every host
    /// keeps its own, so its secret values are keyed on the host that recorded them.
    /// </summary>
    public bool SecretKeyPerHost { get; init; }

    /// <summary>How long an empty store another process created is given to receive its genesis record.</summary>
    public TimeSpan GenesisWait { get; init; } = TimeSpan.FromSeconds(5);
}
