using System.Security.Cryptography.X509Certificates;

namespace AuditGuard.Engine.Ledger.Verification;

/// <summary>What to verify and against what.</summary>
public sealed record VerifyOptions
{
    public long? FromSequence { get; init; }

    public long? ToSequence { get; init; }

    /// <summary>A checkpoint exported by <see cref="Witness.Export"/>, kept where the writer cannot rewrite it.</summary>
    public string? WitnessPath { get; init; }

    /// <summary>The head record of a copy of the chain kept elsewhere (a central store it was shipped to), checked as a witness is.</summary>
    public WitnessRecord? WitnessRecord { get; init; }

    /// <summary>
    /// The signers the caller expects (SHA-256 fingerprints or SHA-1 thumbprints): a record signed
    /// by any other is an UnexpectedSigner error. This pins a store to its key, so one rebuilt with a
    /// fresh key under the same store id does not verify. Null: any signer the chain registers.
    /// </summary>
    public IReadOnlyCollection<string>? ExpectedSigners { get; init; }

    /// <summary>Roots a CA-issued signer must chain to; null or empty means the OS trust store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; init; }

    /// <summary>Called with the number of records checked so far, every few hundred records.</summary>
    public Action<long, long>? Progress { get; init; }

    /// <summary>Verdicts of one kind beyond this many are summarised in one, so a wrecked store stays readable.</summary>
    public int MaxVerdictsPerKind { get; init; } = 100;

    public CancellationToken CancellationToken { get; init; }
}
