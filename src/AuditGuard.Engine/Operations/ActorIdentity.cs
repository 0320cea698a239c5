using System.Diagnostics;
using AuditGuard.Engine.Common;

namespace AuditGuard.Engine.Operations;

/// <summary>
/// Who asked for a write: the OS account and process, the host, and, in a remoting or JEA
/// session, the connected user behind it. The process's start time tells a live process from
/// a later one that reused its id.
/// </summary>
public sealed record ActorIdentity(
    string User,
    string? UserId,
    string? Domain,
    string Host,
    int ProcessId,
    string ProcessStart,
    string? ConnectedUser)
{
    /// <summary>
    /// The account a policy and an approval check go by: the user a remoting or JEA session
    /// connected as, otherwise <c>DOMAIN\user</c> (<c>user</c> where there is no domain).
    /// </summary>
    public string Principal => ConnectedUser ?? (string.IsNullOrEmpty(Domain) ? User : $"{Domain}\\{User}");

    public string Display => ConnectedUser is null ? $"{User}@{Host}" : $"{ConnectedUser} (as {User}@{Host})";

    /// <summary>The current process's actor; <paramref name="connectedUser"/> comes from $PSSenderInfo.</summary>
    public static ActorIdentity Current(string? connectedUser)
    {
        using var process = Process.GetCurrentProcess();
        return new ActorIdentity(
            Environment.UserName,
            CurrentUserId(),
            Environment.UserDomainName,
            Environment.MachineName,
            Environment.ProcessId,
            ProcessStartText(process),
            string.IsNullOrWhiteSpace(connectedUser) ? null : connectedUser);
    }

    /// <summary>The recorded start time of a process, in the form compared when looking for orphans.</summary>
    public static string ProcessStartText(Process process) => Rfc3339.Format(process.StartTime.ToUniversalTime());

    private static string? CurrentUserId()
    {
        if (OperatingSystem.IsWindows())
        {
            return System.Security.Principal.WindowsIdentity.GetCurrent().User?.Value;
        }

        // /proc/self/status holds "Uid:\treal\teffective\t..."; macOS has no /proc.
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
