namespace AuditGuard.Engine.Errors;

/// <summary>Every error a store can raise while it is located, created or opened.</summary>
public static class StoreErrors
{
    public static AuditGuardException PathInvalid(string path, string reason) => new(
        ErrorIds.AuditStorePathInvalid, ErrorKind.InvalidArgument,
        $"'{path}' is not a usable store path: {reason}", path);

    public static AuditGuardException PathIsFolder(string path) => new(
        ErrorIds.AuditStorePathIsFolder, ErrorKind.InvalidArgument,
        $"'{path}' is a folder. Give the path of the store's database file, for example '{Path.Combine(path, "audit.db")}'.", path);

    public static AuditGuardException FolderNotFound(string path, string folder) => new(
        ErrorIds.AuditStoreFolderNotFound, ErrorKind.ObjectNotFound,
        $"The folder '{folder}' for the store '{path}' does not exist. Create it first, or choose a path in an existing folder.", path);

    public static AuditGuardException FolderNotWritable(string path, string folder, Exception inner) => new(
        ErrorIds.AuditStoreFolderNotWritable, ErrorKind.PermissionDenied,
        $"Cannot create the store '{path}': the folder '{folder}' is not writable ({inner.Message}). Choose a folder you can write to.", path, inner);

    public static AuditGuardException NotWritable(string path, Exception inner) => new(
        ErrorIds.AuditStoreNotWritable, ErrorKind.PermissionDenied,
        $"The store '{path}' cannot be opened for writing ({inner.Message}). Check the permissions of the file, its folder and its -wal and -shm companions.", path, inner);

    public static AuditGuardException NotADatabase(string path, Exception? inner = null) => new(
        ErrorIds.AuditStoreNotADatabase, ErrorKind.InvalidData,
        $"'{path}' exists but is not a SQLite database. Choose another path; AuditGuard never overwrites an existing file.", path, inner);

    public static AuditGuardException ForeignDatabase(string path) => new(
        ErrorIds.AuditStoreForeignDatabase, ErrorKind.InvalidData,
        $"'{path}' is a SQLite database that another application created, not an AuditGuard store. Choose another path; AuditGuard never takes over an existing database.", path);

    public static AuditGuardException SchemaTooNew(string path, int found, int supported) => new(
        ErrorIds.AuditStoreSchemaTooNew, ErrorKind.InvalidOperation,
        $"The store '{path}' has schema version {found}, but this AuditGuard understands up to version {supported}. Update the AuditGuard module to open it.", path);

    public static AuditGuardException Corrupt(string path, Exception inner) => new(
        ErrorIds.AuditStoreCorrupt, ErrorKind.InvalidData,
        $"The store '{path}' is damaged at the SQLite level ({inner.Message}). Keep the file for investigation and restore the store from a copy.", path, inner);

    public static AuditGuardException Busy(string path, TimeSpan waited) => new(
        ErrorIds.AuditStoreBusy, ErrorKind.ResourceBusy,
        $"The store '{path}' stayed locked by another connection for {waited.TotalSeconds:0.#} s. Retry later, or find the process that holds it open in a long transaction.", path);

    public static AuditGuardException OnNetworkFileSystem(string path, string fileSystem) => new(
        ErrorIds.AuditStoreOnNetworkFileSystem, ErrorKind.InvalidOperation,
        $"The store '{path}' is on a network file system ({fileSystem}), where SQLite's locking is unreliable and the ledger could fork. Put the store on a local disk.", path);

    public static AuditGuardException OpenFailed(string path, Exception inner) => new(
        ErrorIds.AuditStoreOpenFailed, ErrorKind.OpenError,
        $"The store '{path}' could not be opened: {inner.Message}", path, inner);

    public static AuditGuardException Unreadable(string path, Exception inner) => new(
        ErrorIds.AuditStoreUnreadable, ErrorKind.ReadError,
        $"The store '{path}' could not be read ({inner.Message}). Keep the file for investigation.", path, inner);

    public static AuditGuardException WriteFailed(string path, Exception inner) => new(
        ErrorIds.AuditStoreWriteFailed, ErrorKind.WriteError,
        $"The store '{path}' could not be written ({inner.Message}); nothing of this write was stored. Check the disk and the file's permissions.", path, inner);

    public static AuditGuardException Full(string path, Exception inner) => new(
        ErrorIds.AuditStoreFull, ErrorKind.WriteError,
        $"The store '{path}' could not be written because its disk is full ({inner.Message}); nothing of this write was stored. Free space on the disk, then retry.", path, inner);

    public static AuditGuardException Conflict(string path, string reason, Exception? inner = null) => new(
        ErrorIds.AuditStoreConflict, ErrorKind.InvalidOperation,
        $"The store '{path}' refused the write: {reason} Nothing of this write was stored.", path, inner);

    public static AuditGuardException Closed(string path) => new(
        ErrorIds.AuditStoreClosed, ErrorKind.InvalidOperation,
        $"The store '{path}' was closed. Connect to it again with Connect-AuditStore.", path);

    public static AuditGuardException SchemaAltered(string path, IReadOnlyList<string> alterations) => new(
        ErrorIds.AuditStoreSchemaAltered, ErrorKind.SecurityError,
        $"The store '{path}' was altered outside AuditGuard ({string.Join("; ", alterations)}), so nothing more is written to it: an object planted in the file can drop or change records inside AuditGuard's own writes. It stays open for reading and verification; run Test-AuditChain, keep the file for investigation, and continue in a new store.", path);

    public static AuditGuardException Missing(string path, string reason) => new(
        ErrorIds.AuditStoreMissing, ErrorKind.ObjectNotFound,
        $"The store '{path}' is not where this session opened it ({reason}), so nothing was written and nothing was changed: records written now would be lost with the file. Find out what removed it, then connect again with Connect-AuditStore.", path);

    public static AuditGuardException AdoptionRefused(string path, string reason) => new(
        ErrorIds.AuditStoreAdoptionRefused, ErrorKind.SecurityError,
        $"'{path}' {reason}, and AuditGuard never adopts a file it did not create for a new store: whoever placed it may hold what it contains, such as a key. Nothing was created. Remove it if you are sure it is yours and empty, or create the store in a folder only you can write to.", path);

    public static AuditGuardException FolderUnsafe(string path, string folder, string reason) => new(
        ErrorIds.AuditStoreFolderUnsafe, ErrorKind.SecurityError,
        $"The store '{path}' is not created: {reason} in '{folder}', so they could place or replace its files (a key, say) before or after it is made. Use a folder only you can write to (mode 700 or 755); a store shared by a group is created with -Group.", path);

    public static AuditGuardException GroupFolderUnfit(string path, string folder, string group) => new(
        ErrorIds.AuditStoreFolderUnsafe, ErrorKind.SecurityError,
        $"The store '{path}' is not created for group '{group}': its folder '{folder}' must belong to that group and pass it on to new files (the setgid bit), or the logs SQLite creates later would be unusable by the other members. It must also let the group write there and let only a file's owner rename or remove a file (the sticky bit), so no member can swap another's file for a link. Prepare the folder once, best as root so that no member owns it, for example: chgrp {group} '{folder}' && chmod 3770 '{folder}'.", path);

    public static AuditGuardException LogForeign(string path, string companion) => new(
        ErrorIds.AuditStoreLogForeign, ErrorKind.SecurityError,
        $"The store '{path}' is not opened: '{companion}' is a link, a second name of another file, or a file that is not the store's own, and SQLite would write into it. Nothing was opened or changed. Find out who placed it; if the store is not in use, move it aside and connect again.", path);

    public static AuditGuardException GroupNotGiven(string path, string group, Exception inner) => new(
        ErrorIds.AuditStoreGroupInvalid, ErrorKind.PermissionDenied,
        $"'{path}' could not be given to group '{group}' ({inner.Message}), so the store was not created and the file was removed. Check that you are a member of the group in this login.", path, inner);

    public static AuditGuardException GroupUnknown(string group) => new(
        ErrorIds.AuditStoreGroupInvalid, ErrorKind.InvalidArgument,
        $"There is no group '{group}' on this system, so no store can be shared with it. Check the name with 'getent group {group}'.", group);

    public static AuditGuardException GroupNotJoined(string group) => new(
        ErrorIds.AuditStoreGroupInvalid, ErrorKind.PermissionDenied,
        $"This process is not a member of group '{group}', so it cannot give the store's files to it. Use a group you belong to (a new membership needs a new login), or ask its administrator to create the store.", group);

    public static AuditGuardException GroupUnsupported(string group, string reason) => new(
        ErrorIds.AuditStoreGroupInvalid, ErrorKind.InvalidOperation,
        $"A store cannot be shared with group '{group}' here: {reason}. Group stores need Linux.", group);

    public static AuditGuardException GroupMismatch(string path, string group, string? actual) => new(
        ErrorIds.AuditStoreGroupInvalid, ErrorKind.InvalidArgument,
        actual is null
            ? $"The store '{path}' exists and only its owner can write it; -Group '{group}' shares a store only when it is created, and an existing store is never re-shared. Connect without -Group, or create a new store for the group."
            : $"The store '{path}' exists and is shared with group '{actual}', not '{group}'. Connect with -Group '{actual}' or without -Group.", path);

    public static AuditGuardException Emptied(string path) => new(
        ErrorIds.AuditStoreEmptied, ErrorKind.InvalidData,
        $"The store '{path}' holds no records, although it was created earlier: its records were removed, or its creation was cut short before its first record. AuditGuard does not start a new chain in it, since that would pass a rebuilt store off as the original. Keep the file for investigation; if you are sure it never held evidence, remove it and its key files and connect again.", path);

    public static AuditGuardException ReadOnly(string path, string reason) => new(
        ErrorIds.AuditStoreReadOnly, ErrorKind.PermissionDenied,
        $"The store '{path}' is open for reading only: {reason} Nothing was written. Reading and Test-AuditChain work; to append, connect to a copy you can write, or to the store where it can be written.", path);

    public static AuditGuardException LogUnreadable(string path, long bytes) => new(
        ErrorIds.AuditStoreLogUnreadable, ErrorKind.ReadError,
        $"The store '{path}' cannot be written here, and its write-ahead log ('{path}-wal', {bytes} bytes) cannot be read without writing beside it, so its newest records would be missed. Copy the database with its -wal file to a folder you can write to, or take the copy with Backup-AuditStore where the store is written.", path);

    public static AuditGuardException ChangedWhileUnchanging(string path) => new(
        ErrorIds.AuditStoreChanged, ErrorKind.ReadError,
        $"The store '{path}' changed since it was opened for reading as an unchanging file (it is on media this process cannot write, and something else writes it), so reading it now could miss records. Connect to it again to read it as it is now.", path);

    public static AuditGuardException CopyFailed(string path, string destination, Exception inner) => new(
        ErrorIds.AuditStoreCopyFailed, ErrorKind.WriteError,
        $"The copy of the store '{path}' to '{destination}' could not be made ({inner.Message}); nothing was left at '{destination}'. Check the destination folder and its free space.", destination, inner);

    public static AuditGuardException NotConnected(string reason) => new(
        ErrorIds.AuditStoreNotConnected, ErrorKind.ResourceUnavailable,
        $"No store is connected: {reason} Nothing is recorded anywhere else. Connect to the store you mean with Connect-AuditStore, or name it with -Store.");

    /// <summary>Two parameters (or a parameter and a piped object) each say which store to use; <paramref name="which"/> says how.</summary>
    public static AuditGuardException SelectionConflict(string which) => new(
        ErrorIds.AuditStoreSelectionConflict, ErrorKind.InvalidArgument, which);

    public static AuditGuardException NotFound(string path) => new(
        ErrorIds.AuditStoreNotFound, ErrorKind.ObjectNotFound,
        $"There is no store at '{path}'. -Store names an existing store; create a new one with Connect-AuditStore.", path);

    public static AuditGuardException ConnectionStringInvalid(string reason) => new(
        ErrorIds.AuditStoreConnectionStringInvalid, ErrorKind.InvalidArgument,
        $"The connection string cannot be used: {reason}. Give an Npgsql connection string such as 'Host=db.example.org;Database=audit;Username=host01;SSL Mode=VerifyFull', with the password in -Credential.");

    public static AuditGuardException ServerUnreachable(string location, Exception inner) => new(
        ErrorIds.AuditStoreServerUnreachable, ErrorKind.OpenError,
        $"The database server of '{location}' could not be reached or the connection was lost ({inner.Message}); nothing of this command was stored. Check the server, the network and the connection string, then retry.", location, inner);

    public static AuditGuardException ServerRefused(string location, string reason, Exception inner) => new(
        ErrorIds.AuditStoreServerRefused, ErrorKind.SecurityError,
        $"The database server of '{location}' refused the connection: {reason}. Check the user name and the password given with -Credential.", location, inner);

    public static AuditGuardException DatabaseNotInitialized(string location, int found, int expected) => new(
        ErrorIds.AuditStoreDatabaseNotInitialized, ErrorKind.ResourceUnavailable,
        found == 0
            ? $"The database '{location}' has no AuditGuard schema. Its owner creates it, with the writer and reader roles, with Initialize-AuditDatabase."
            : $"The database '{location}' has AuditGuard schema version {found}, and this version of AuditGuard needs {expected}. Its owner migrates it with Initialize-AuditDatabase.", location);

    public static AuditGuardException BackendUnavailable(string backend, Exception inner) => new(
        ErrorIds.AuditStoreBackendUnavailable, ErrorKind.ResourceUnavailable,
        $"The {backend} back end of AuditGuard could not be loaded ({inner.Message}). Reinstall the module: its Dependencies folder is incomplete.", backend, inner);

    public static AuditGuardException Forked(string source, string destination, long sequence, string reason) => new(
        ErrorIds.AuditStoreForked, ErrorKind.SecurityError,
        $"The store '{source}' and its copy at '{destination}' disagree at record {sequence}: {reason}. The chains have forked, so nothing was shipped and nothing is merged. Keep both for investigation (Test-AuditChain on each), and find out which history is true.", source);

    public static AuditGuardException Behind(string source, string destination, long sourceHead, long destinationHead) => new(
        ErrorIds.AuditStoreBehind, ErrorKind.SecurityError,
        $"The store '{source}' ends at record {sourceHead}, but its copy at '{destination}' already holds records up to {destinationHead}: the store was rolled back or truncated since it was last shipped. Nothing was shipped. Verify the store against its copy (Test-AuditChain -Witness with the copy's connection string), and keep the store for investigation.", source);

    public static AuditGuardException CommitUnknown(string location, long sequence, Exception inner) => new(
        ErrorIds.AuditStoreCommitUnknown, ErrorKind.WriteError,
        $"The connection to '{location}' was lost while record {sequence} was being committed, and whether it landed cannot be read now ({inner.Message}). Nothing was retried, so nothing is written twice. Run Test-AuditChain and Get-Operation once the server is back: a write whose intent landed shows as an orphan for Repair-Operation.", location, inner);

    public static AuditGuardException CopyNotFound(string database, Guid storeId) => new(
        ErrorIds.AuditStoreCopyNotFound, ErrorKind.ObjectNotFound,
        $"'{database}' holds no copy of the store {storeId:D} yet. Ship the store there with Sync-AuditStore first; its copy is then a witness for it.", database);

    public static AuditGuardException PermissionDenied(string location, string reason, Exception inner) => new(
        ErrorIds.AuditStorePermissionDenied, ErrorKind.PermissionDenied,
        $"The database server of '{location}' refused this: {reason}. Nothing was changed. Ask the database's owner for the role this needs (the writer role adds records; Initialize-AuditDatabase runs as the owner).", location, inner);

    public static AuditGuardException RoleNameInvalid(string role) => new(
        ErrorIds.AuditDatabaseRoleInvalid, ErrorKind.InvalidArgument,
        $"'{role}' is not a role name AuditGuard makes: use lowercase letters, digits and underscores (at most 63), starting with a letter or underscore, and give the writer and reader roles different names.", role);
}
