using System.Diagnostics;
using System.Text.Json.Nodes;
using AuditGuard.Engine.Ledger;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;
using AuditGuard.Engine.Storage.Sqlite;
using AuditGuard.Engine.Tests.Storage;

namespace AuditGuard.Engine.Tests.Ledger;

/// <summary>Makes throwaway ledgers, on an SQLite file or on any back end under test.</summary>
internal static class LedgerFixture
{
    /// <summary>The ledger of the SQLite store at <paramref name="path"/>, with the operations table when asked.</summary>
    public static AuditLedger Open(string path, TimeProvider? clock = null, SigningKey? signingKey = null, bool withOperations = false)
    {
        clock ??= TimeProvider.System;
        return AuditLedger.Open(SqliteRecordStore.Open(path, new SqliteStoreOptions { Clock = clock }), new LedgerOpenOptions
        {
            KeyFiles = LocalKeyFiles.Beside(path),
            Clock = clock,
            SigningKey = signingKey,
            Projections = withOperations ? [new OperationsProjection()] : [],
        });
    }

    /// <summary>The ledger of the store called <paramref name="name"/> on <paramref name="backend"/>, with the operations table.</summary>
    public static AuditLedger Open(StoreBackend backend, string name = "store", TimeProvider? clock = null) =>
        AuditLedger.Open(backend.Open(name), new LedgerOpenOptions
        {
            KeyFiles = backend.KeyFiles(name),
            Clock = clock ?? TimeProvider.System,
            Projections = [new OperationsProjection()],
            GenesisWait = TimeSpan.FromMilliseconds(300),
        });

    public static RecordDraft Note(int n, Guid? operation = null, byte[]? blob = null) =>
        new("test.note", new JsonObject { ["n"] = n, ["text"] = $"note {n}" }, operation, blob is null ? null : [blob]);

    /// <summary>A store with a genesis record and <paramref name="notes"/> notes after it; closed again.</summary>
    public static string CreateWithNotes(TempFolder temp, int notes, string name = "ledger.db")
    {
        var path = temp.File(name);
        using var ledger = Open(path);
        ledger.Append(Enumerable.Range(1, notes).Select(i => Note(i)).ToList());
        return path;
    }

    public static ChainVerificationResult Verify(string path, string? witness = null)
    {
        using var ledger = Open(path);
        return ledger.Verify(new VerifyOptions { WitnessPath = witness });
    }

    /// <summary>Runs SQL through the sqlite3 command-line shell, as someone editing the file by hand would.</summary>
    public static void Sqlite(string path, string sql) => RunSqlite(path, sql);

    /// <summary>A record after <paramref name="head"/> with a correct hash and link, signed by <paramref name="key"/>: what a forger with a key writes.</summary>
    public static RecordRow SignedAfter(RecordRow head, Guid storeId, SigningKey key, string type, JsonObject fields)
    {
        var time = DateTimeOffset.UtcNow;
        var body = new JsonObject
        {
            ["v"] = 1,
            ["store"] = storeId.ToString("D"),
            ["seq"] = head.Sequence + 1,
            ["prev"] = head.HashHex,
            ["time"] = AuditGuard.Engine.Common.Rfc3339.Format(time),
            ["signer"] = key.Fingerprint,
            ["type"] = type,
        };
        foreach (var (name, value) in fields)
        {
            body[name] = value?.DeepClone();
        }

        var bytes = AuditGuard.Engine.Canonical.JsonCanonicalizer.Canonicalize(body);
        return new RecordRow(head.Sequence + 1, System.Security.Cryptography.SHA256.HashData(bytes), head.Hash, type, null,
            AuditGuard.Engine.Common.Rfc3339.Format(time), bytes, key.SignDetached(bytes, time), key.Fingerprint);
    }

    /// <summary>Runs a command (chown, ln, ...) and fails the test when it fails.</summary>
    public static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} failed: {error}");
    }

    /// <summary>
    /// Runs <paramref name="sql"/> past the append-only triggers and puts them back as they were,
    /// so the store's schema stays exact and only the records tell of the attack.
    /// </summary>
    public static void SqliteUnguarded(string path, string sql)
    {
        const string guards = "'records_append_only_update', 'records_append_only_delete'";
        var triggers = RunSqlite(path, $"SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND name IN ({guards});");
        RunSqlite(path, "DROP TRIGGER IF EXISTS records_append_only_update; DROP TRIGGER IF EXISTS records_append_only_delete;\n" + sql + "\n" + triggers);
    }

    private static string RunSqlite(string path, string sql)
    {
        var start = new ProcessStartInfo("sqlite3") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        process.StandardInput.Write(sql);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"sqlite3 failed: {error}");
        return output.Result;
    }
}
