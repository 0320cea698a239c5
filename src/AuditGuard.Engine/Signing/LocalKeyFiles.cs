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

    /// <summary>
    /// This host's own keys for the central store <paramref name="storeId"/>: in <paramref name="folder"/>,
    /// else the user's private AuditGuard folder (made 0700 when missing), since the store itself is on a
    /// server every host shares.
    /// </summary>
    public static LocalKeyFiles ForCentralStore(Guid storeId, string? folder = null)
    {
        var appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        folder ??= Path.Combine(appData, "AuditGuard", "central");
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(folder)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var name = Path.Combine(folder, storeId.ToString("D"));
        return new(name + ".signer.pfx", name + ".secret.key");
    }
}
