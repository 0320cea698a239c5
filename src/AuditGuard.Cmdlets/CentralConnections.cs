using System.Data.Common;
using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Connection strings as the central store cmdlets take them: an Npgsql connection string, with
/// the user and password from -Credential rather than typed into it (where they would end up in
/// the history). Only <see cref="Describe"/> text (no password) is ever shown or recorded.
/// </summary>
internal static class CentralConnections
{
    private static readonly string[] UserKeys = ["Username", "User Name", "UserName", "User ID", "UserId", "UID"];
    private static readonly string[] PasswordKeys = ["Password", "PWD", "PSW"];

    /// <summary>The connection string with <paramref name="credential"/>'s user and password in it, when one is given.</summary>
    public static string Compose(string connectionString, PSCredential? credential)
    {
        if (credential is null || credential == PSCredential.Empty)
        {
            return connectionString;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            throw Engine.Errors.StoreErrors.ConnectionStringInvalid("it is not a connection string of 'Key=Value' pairs separated by ';'");
        }

        foreach (var key in UserKeys.Concat(PasswordKeys))
        {
            builder.Remove(key);
        }

        builder["Username"] = credential.UserName;
        builder["Password"] = credential.GetNetworkCredential().Password;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Why the connection to a server elsewhere is not proven to be the server it names (no SSL Mode
    /// of VerifyFull or VerifyCA), or null when it is, or the server is on this machine.
    /// </summary>
    public static string? UnverifiedServer(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return null;
        }

        var host = (builder.TryGetValue("Host", out var h) ? h : builder.TryGetValue("Server", out var s) ? s : null)?.ToString() ?? "";
        var local = host.Split(',').All(part => part.Trim() is "localhost" or "127.0.0.1" or "::1" || part.Trim().StartsWith('/'));
        var mode = (builder.TryGetValue("SSL Mode", out var m) ? m : builder.TryGetValue("SslMode", out var n) ? n : null)?.ToString()?.Replace(" ", "", StringComparison.Ordinal);
        return local || string.Equals(mode, "VerifyFull", StringComparison.OrdinalIgnoreCase) || string.Equals(mode, "VerifyCA", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"the connection to '{host}' does not verify the server's certificate (SSL Mode is '{mode ?? "Prefer"}'): whoever sits between this host and the server could read the password and see the records. Add 'SSL Mode=VerifyFull' (and 'Root Certificate=<ca.pem>' for a private CA) to the connection string";
    }

    /// <summary>
    /// Whether <paramref name="text"/> is meant as a connection string (Key=Value pairs: a Host, a
    /// password, or several keys) rather than a path. Such text is never used as a file name, where a
    /// password in it would end up on disk and in messages: a connection string without a Host is
    /// refused as one instead.
    /// </summary>
    public static bool IsConnectionString(string text)
    {
        if (!text.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = text };
            return builder.Count > 1 || builder.ContainsKey("Host") || builder.ContainsKey("Server") || PasswordKeys.Any(builder.ContainsKey);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="text"/> names a store in a central database (as a store's location shows it).</summary>
    public static bool IsCentralLocation(string text) => text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    public static string Describe(string connectionString) => Engine.GuardSession.DescribeCentralDatabase(connectionString);
}
