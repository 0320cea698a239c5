using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Signing;

/// <summary>
/// Where a store's own keys live: the signing key it generates when none is given, and the
/// secret key that keys the HMACs of secret values. For a store in a file, beside the file.
/// </summary>
public sealed record LocalKeyFiles(string SignerKeyPath, string SecretKeyPath)
{
    /// <summary>The group whose members may read keys made here (a shared store's); null keeps them the owner's alone.</summary>
    public UnixGroup? Group { get; init; }

    public static LocalKeyFiles Beside(string databasePath) => new(databasePath + ".signer.pfx", databasePath + ".secret.key");
}
