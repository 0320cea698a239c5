using AuditGuard.Engine.Errors;
using Npgsql;

namespace AuditGuard.Engine.Postgres;

/// <summary>Connection strings: checked, described without their secrets, and set up the way every AuditGuard connection is.</summary>
internal static class PostgresConnections
{
    /// <summary>
    /// The builder for <paramref name="connectionString"/>, refused with a clear error (that never
    /// repeats the text, which may hold a password) when it cannot be read.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                // The password is used to connect and then forgotten by the connection object.
                PersistSecurityInfo = false,
                ApplicationName = "AuditGuard",
                // Every name is schema-qualified; nothing is looked up in a schema someone else controls.
                SearchPath = "pg_catalog",
                // An append sends the same few statements every time (the catalog check among them): planned once per connection.
                MaxAutoPrepare = 32,
                AutoPrepareMinUsages = 2,
            };
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("it names no Host");
            }

            return builder;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException)
        {
            throw StoreErrors.ConnectionStringInvalid(e is ArgumentException { ParamName: null } ? e.Message : "it is not an Npgsql connection string");
        }
    }

    /// <summary>Where a connection string leads, for messages, records and locations: user, host, port and database, never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"postgresql://{(string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@")}{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "")}";

    /// <summary>A new open connection, with the driver's failures turned into AuditGuard's errors.</summary>
    public static NpgsqlConnection Open(NpgsqlConnectionStringBuilder builder, string location, bool pooled = true)
    {
        var text = builder.ConnectionString;
        if (!pooled)
        {
            text = new NpgsqlConnectionStringBuilder(text) { Pooling = false }.ConnectionString;
        }

        var connection = new NpgsqlConnection(text);
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            connection.Dispose();
            throw PostgresErrors.Connecting(e, location);
        }
    }
}
