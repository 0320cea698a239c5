using System.Runtime.Versioning;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Tests.Ledger;

namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>
/// A store shared with a Unix group: its files and keys are the group's to use and no one
/// else's, it is made only in a folder set up for the group, and -Group never re-shares an
/// existing store. The group is this process's own, so the tests run as any user.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class GroupStoreTests : IDisposable
{
    private const UnixFileMode SharedFolder = (UnixFileMode)0x7F8; // 3770
    private readonly TempFolder _temp = new();
    private readonly UnixGroup _group;

    public GroupStoreTests()
    {
        // A file made in a plain folder gets the process's own group, one it certainly belongs to.
        var probe = _temp.File("probe");
        File.WriteAllBytes(probe, []);
        _group = UnixGroup.OfId(FileStatus.Of(probe)!.GroupId);
        File.Delete(probe);
    }

    public void Dispose() => _temp.Dispose();

    [LinuxFact]
    public void A_group_store_gives_its_database_logs_keys_and_locks_to_the_group_and_to_no_one_else()
    {
        var folder = GroupFolder("team", SharedFolder);
        var path = Path.Combine(folder, "audit.db");

        using (var session = GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }))
        {
            Assert.Equal(_group.Name, session.Group);
            var request = new OperationRequest("Script", null, "app", new Dictionary<string, object?>(), new ScriptAction("noop", [], _ => []), null, "shared", null, null, null, ActorIdentity.Current(null));
            var operation = session.ExecuteOperation(session.PlanOperation(request, ProcessScriptHost.Instance), out _);
            Assert.Equal(OperationState.Closed, operation.State);
            Assert.Equal(_group.Id, FileStatus.Of(path + "-wal")!.GroupId);
        }

        Assert.Equal((UnixFileMode)0x1B0, ModeOf(path)); // 660
        Assert.Equal((UnixFileMode)0x1A0, ModeOf(path + ".signer.pfx")); // 640
        Assert.Equal((UnixFileMode)0x1A0, ModeOf(path + ".secret.key"));
        Assert.Equal(SharedFolder, ModeOf(path + ".running"));
        foreach (var file in new[] { path, path + ".signer.pfx", path + ".secret.key", path + ".running" })
        {
            Assert.Equal(_group.Id, FileStatus.Of(file)!.GroupId);
        }
    }

    [LinuxFact]
    public void A_member_who_opens_the_store_later_sees_it_shared_and_keeps_its_locks_shared()
    {
        var path = Path.Combine(GroupFolder("team", SharedFolder), "audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }).Dispose();

        using var session = GuardSession.OpenFile(path, new GuardSessionOptions());

        Assert.Equal(_group.Name, session.Group);
        var probe = new FileLockLivenessProbe(path + ".running", UnixGroup.Find(_group.Name));
        using var hold = probe.Hold(Guid.NewGuid());
        var lockFile = Directory.GetFiles(path + ".running").Single();
        Assert.Equal((UnixFileMode)0x1B0, ModeOf(lockFile));
    }

    [LinuxTheory]
    [InlineData(0x1F8, "setgid")] // 770: the logs SQLite makes later would get each member's own group
    [InlineData(0x1C0, "setgid")] // 700
    [InlineData(0x5F8, "sticky")] // 2770: any member could rename another's file and put a link in its place
    [InlineData(0x7E8, "let the group write")] // 3750: members could not write the store they share
    public void A_folder_not_set_up_for_the_group_is_refused_with_what_to_run(int mode, string hint)
    {
        var folder = GroupFolder("team", (UnixFileMode)mode);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions { Group = _group.Name }));

        Assert.Equal(ErrorIds.AuditStoreFolderUnsafe, error.ErrorId);
        Assert.Contains(hint, error.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod 3770 '{folder}'", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [LinuxFact]
    public void A_folder_every_user_can_write_to_is_refused_even_for_a_group()
    {
        var folder = GroupFolder("team", (UnixFileMode)0x7FF); // 3777

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions { Group = _group.Name }));

        Assert.Equal(ErrorIds.AuditStoreFolderUnsafe, error.ErrorId);
        Assert.Contains("every user can write", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_group_folder_is_still_refused_for_a_store_that_is_not_shared()
    {
        var folder = GroupFolder("team", SharedFolder);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreFolderUnsafe, error.ErrorId);
        Assert.Contains("group can write", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_group_that_does_not_exist_is_refused_before_anything_is_made()
    {
        var folder = GroupFolder("team", SharedFolder);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions { Group = "no-such-group-" + Guid.NewGuid().ToString("N")[..8] }));

        Assert.Equal(ErrorIds.AuditStoreGroupInvalid, error.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [LinuxFact]
    public void An_existing_store_is_never_re_shared_by_naming_a_group()
    {
        var path = _temp.File("audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions()).Dispose();

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }));

        Assert.Equal(ErrorIds.AuditStoreGroupInvalid, error.ErrorId);
        Assert.Contains("never re-shared", error.Message, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0x180, ModeOf(path)); // still 600
    }

    [LinuxFact]
    public void A_lock_folder_placed_before_the_store_exists_is_refused_and_nothing_is_made()
    {
        var folder = GroupFolder("team", SharedFolder);
        var path = Path.Combine(folder, "audit.db");
        var elsewhere = Directory.CreateDirectory(_temp.File("elsewhere")).FullName;
        File.CreateSymbolicLink(path + ".running", elsewhere);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.Equal([path + ".running"], Directory.GetFileSystemEntries(folder));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [LinuxFact]
    public void A_lock_folder_replaced_by_a_link_later_takes_no_lock_and_the_write_is_refused()
    {
        var folder = GroupFolder("team", SharedFolder);
        var path = Path.Combine(folder, "audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }).Dispose();
        Directory.Delete(path + ".running");
        var elsewhere = Directory.CreateDirectory(_temp.File("elsewhere")).FullName;
        File.CreateSymbolicLink(path + ".running", elsewhere);

        using var session = GuardSession.OpenFile(path, new GuardSessionOptions());
        var request = new OperationRequest("Script", null, "app", new Dictionary<string, object?>(), new ScriptAction("noop", [], _ => []), null, "shared", null, null, null, ActorIdentity.Current(null));
        var error = Assert.Throws<AuditGuardException>(() => session.ExecuteOperation(session.PlanOperation(request, ProcessScriptHost.Instance), out _));

        Assert.Equal(ErrorIds.OperationLivenessUnavailable, error.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [LinuxFact]
    public void A_store_whose_first_record_cannot_be_written_leaves_nothing_behind_and_can_be_made_again()
    {
        var folder = GroupFolder("team", SharedFolder);
        var path = Path.Combine(folder, "audit.db");
        // Something where the signing key must go: the store is refused after its file and secret key were made.
        Directory.CreateDirectory(path + ".signer.pfx");

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.Equal([path + ".signer.pfx"], Directory.GetFileSystemEntries(folder));
        Directory.Delete(path + ".signer.pfx");
        using var session = GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name });
        Assert.Equal(1, session.Describe().Store.RecordCount);
    }

    [LinuxFact]
    public void A_database_path_that_is_a_link_to_nothing_is_refused_by_name()
    {
        var path = _temp.File("audit.db");
        File.CreateSymbolicLink(path, _temp.File("nowhere.db"));

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.Contains("is a link to nothing", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.File("nowhere.db")));
    }

    [LinuxRootFact]
    public void A_lock_folder_that_another_user_owns_takes_no_lock_and_the_write_is_refused()
    {
        var path = Path.Combine(GroupFolder("team", SharedFolder), "audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }).Dispose();
        // Someone else's folder of the right group and mode, as a member who made it first would leave it.
        LedgerFixture.Run("chown", "65534", path + ".running");

        using var session = GuardSession.OpenFile(path, new GuardSessionOptions());
        var error = Assert.Throws<AuditGuardException>(() => session.ExecuteOperation(session.PlanOperation(NoOp(), ProcessScriptHost.Instance), out _));

        Assert.Equal(ErrorIds.OperationLivenessUnavailable, error.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(path + ".running"));
    }

    [LinuxFact]
    public void A_lock_that_is_a_link_is_not_opened_and_proves_nothing()
    {
        var path = Path.Combine(GroupFolder("team", SharedFolder), "audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions { Group = _group.Name }).Dispose();
        var id = Guid.NewGuid();
        var target = _temp.File("target.txt");
        File.WriteAllText(target, "not a lock");
        File.CreateSymbolicLink(Path.Combine(path + ".running", $"{id:D}.lock"), target);
        var probe = new FileLockLivenessProbe(path + ".running", UnixGroup.Find(_group.Name), FileStatus.Of(path)!.OwnerId);

        Assert.Equal(OperationLiveness.Unknown, probe.Check(id, ActorIdentity.Current(null)));
    }

    [LinuxFact]
    public void A_log_that_is_a_second_name_of_another_file_or_a_link_keeps_the_store_closed()
    {
        var path = _temp.File("audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions()).Dispose();
        var victim = _temp.File("victim.txt");
        File.WriteAllText(victim, "someone else's");
        LedgerFixture.Run("ln", victim, path + "-shm");

        var hardLink = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));
        File.Delete(path + "-shm");
        File.CreateSymbolicLink(path + "-wal", victim);
        var symbolicLink = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreLogForeign, hardLink.ErrorId);
        Assert.Equal(ErrorIds.AuditStoreLogForeign, symbolicLink.ErrorId);
        Assert.Equal("someone else's", File.ReadAllText(victim));
    }

    [LinuxFact]
    public void A_store_made_again_where_its_own_empty_lock_folder_was_left_is_created()
    {
        var path = _temp.File("audit.db");
        GuardSession.OpenFile(path, new GuardSessionOptions()).Dispose();
        foreach (var file in Directory.GetFiles(_temp.Path, "audit.db*"))
        {
            File.Delete(file);
        }

        using var session = GuardSession.OpenFile(path, new GuardSessionOptions());

        Assert.Equal(1, session.Describe().Store.RecordCount);
    }

    private static OperationRequest NoOp() =>
        new("Script", null, "app", new Dictionary<string, object?>(), new ScriptAction("noop", [], _ => []), null, "shared", null, null, null, ActorIdentity.Current(null));

    [LinuxFact]
    public void A_store_only_its_owner_uses_names_no_group()
    {
        using var session = GuardSession.OpenFile(_temp.File("audit.db"), new GuardSessionOptions());

        Assert.Null(session.Group);
        Assert.Equal((UnixFileMode)0x180, ModeOf(session.Location));
    }

    private string GroupFolder(string name, UnixFileMode mode)
    {
        var folder = Directory.CreateDirectory(_temp.File(name)).FullName;
        File.SetUnixFileMode(folder, mode);
        return folder;
    }

    private static UnixFileMode ModeOf(string path) => FileStatus.Of(path)!.Mode;
}
