using System.Text.RegularExpressions;

namespace AuditGuard.Engine.Ledger;

/// <summary>The record types the ledger itself writes, and the rule for every type name.</summary>
public static partial class RecordTypes
{
    /// <summary>The genesis record (sequence 0): the store's id and its first signer's certificate.</summary>
    public const string StoreCreated = "store.created";

    public const string SignerAdded = "signer.added";

    /// <summary>Signed by the outgoing key; carries the incoming certificate.</summary>
    public const string SignerRotated = "signer.rotated";

    public const string SignerRevoked = "signer.revoked";

    /// <summary>A signed statement of the head before it: what a witness keeps.</summary>
    public const string Checkpoint = "checkpoint";

    public const string SettingsChanged = "settings.changed";

    /// <summary>Records that change who may sign.</summary>
    internal static readonly string[] SignerTypes = [StoreCreated, SignerAdded, SignerRotated, SignerRevoked];

    /// <summary>Records that change the store's state (signers and settings), folded when a store opens.</summary>
    internal static readonly string[] StateTypes = [StoreCreated, SignerAdded, SignerRotated, SignerRevoked, SettingsChanged];

    /// <summary>Types only the ledger writes, through its own methods.</summary>
    public static bool IsReserved(string type) => StateTypes.Contains(type) || type == Checkpoint;

    /// <summary>Lowercase dotted words, e.g. <c>operation.intent</c>.</summary>
    public static bool IsWellFormed(string type) => TypeName().IsMatch(type);

    [GeneratedRegex("^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex TypeName();
}
