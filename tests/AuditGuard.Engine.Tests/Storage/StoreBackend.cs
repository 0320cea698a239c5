using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage;

namespace AuditGuard.Engine.Tests.Storage;

/// <summary>
/// A store back end under test: it makes and reopens named stores, says where a ledger over
/// one keeps its keys, and tampers with one as someone who can write the storage (files,
/// database rows) but holds no key would. The store conformance suite and the tamper matrix
/// run over this, so every back end faces the same checks and the same attacks.
/// </summary>
public abstract class StoreBackend : IDisposable
{
    public abstract string Name { get; }

    /// <summary>Opens the store called <paramref name="name"/>, creating it when it does not exist.</summary>
    public abstract IRecordStore Open(string name = "store");

    /// <summary>Where a ledger over the store keeps its own keys.</summary>
    public abstract LocalKeyFiles KeyFiles(string name = "store");

    /// <summary>Edits the store behind AuditGuard's back; the store should be closed while it does.</summary>
    public abstract IStoreTamper Tamper(string name = "store");

    public abstract void Dispose();
}

/// <summary>What an attacker with write access to a store's storage can do, each in one step.</summary>
public interface IStoreTamper
{
    /// <summary>Replaces a record's body, leaving its hash and every other column as they were.</summary>
    void SetBody(long sequence, byte[] body);

    void SetSignature(long sequence, byte[] signature);

    /// <summary>Changes the columns derived from a record's body (its type and operation), not the body.</summary>
    void SetDerivedColumns(long sequence, string type, string? operationId);

    void DeleteRecords(long fromSequence, long toSequence);

    /// <summary>Puts two records in each other's places: each keeps its body but takes the other's sequence number.</summary>
    void SwapRecords(long first, long second);

    /// <summary>Adds a row as it is, whatever it says.</summary>
    void InsertRecord(RecordRow row);

    /// <summary>Overwrites every blob with <paramref name="bytes"/>, or erases every one when null.</summary>
    void SetAllBlobs(byte[]? bytes);

    void SetDerivedValue(ProjectionTable table, string key, string column, object? value);

    void DeleteDerivedRow(ProjectionTable table, string key);

    /// <summary>
    /// Plants an object in the container that silently drops every record of
    /// <paramref name="recordType"/> as it is written (an SQLite trigger that ignores the insert,
    /// say), leaving everything else as it was.
    /// </summary>
    void PlantSilentDrop(string recordType);

    /// <summary>Tries to change a record the way the store's own writer could (no schema changes); true when the store refused.</summary>
    bool UpdateIsRefused(long sequence);

    /// <summary>Tries to delete a record the way the store's own writer could; true when the store refused.</summary>
    bool DeleteIsRefused(long sequence);

    /// <summary>A copy of the whole store as it is now, to put back later with <see cref="RestoreCopy"/>.</summary>
    object SaveCopy();

    /// <summary>Replaces the whole store with a copy saved earlier: a store swapped for an older one.</summary>
    void RestoreCopy(object copy);
}
