using System.Runtime.InteropServices;
using System.Security;

namespace AuditGuard.Engine.Signing;

/// <summary>Turns a <see cref="SecureString"/> into characters an API can take, without an immutable string copy.</summary>
internal static class SecurePassword
{
    /// <summary>
    /// The password in a pinned array (so the GC never leaves copies behind) that the caller
    /// must clear with <see cref="Array.Clear(Array)"/> as soon as it is used.
    /// </summary>
    public static char[] Reveal(SecureString password)
    {
        var characters = GC.AllocateArray<char>(password.Length, pinned: true);
        var unmanaged = Marshal.SecureStringToGlobalAllocUnicode(password);
        try
        {
            Marshal.Copy(unmanaged, characters, 0, characters.Length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }

        return characters;
    }
}
