using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;

namespace AuditGuard.Engine.Tests.Operations;

/// <summary>Liveness is decided by a lock the running process holds, never by comparing what was recorded about it.</summary>
public sealed class LivenessProbeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Folder => _temp.File("store.db.running");

    [Fact]
    public void A_held_operation_reads_as_running_from_any_session_and_ends_unknown_once_completed()
    {
        var operation = Guid.NewGuid();
        var actor = ActorIdentity.Current(null);
        using (var hold = new FileLockLivenessProbe(Folder).Hold(operation))
        {
            Assert.Equal(OperationLiveness.Running, new FileLockLivenessProbe(Folder).Check(operation, actor));
            Assert.Equal(OperationLiveness.Running, new FileLockLivenessProbe(Folder).Check(operation, actor with { ProcessStart = "1999-01-01T00:00:00.000Z" }));
            hold.Complete();
        }

        Assert.Empty(Directory.EnumerateFiles(Folder));
        Assert.Equal(OperationLiveness.Unknown, new FileLockLivenessProbe(Folder).Check(operation, actor));
    }

    [Fact]
    public void A_hold_torn_down_before_its_outcome_leaves_an_orphan_until_it_is_released()
    {
        var operation = Guid.NewGuid();
        var probe = new FileLockLivenessProbe(Folder);
        probe.Hold(operation).Dispose();

        Assert.Equal(OperationLiveness.Orphaned, probe.Check(operation, ActorIdentity.Current(null)));
        probe.Release(operation);
        Assert.Equal(OperationLiveness.Unknown, probe.Check(operation, ActorIdentity.Current(null)));
    }

    [Fact]
    public void Another_hosts_operation_cannot_be_told_from_here_even_when_a_lock_file_is_free()
    {
        var operation = Guid.NewGuid();
        var probe = new FileLockLivenessProbe(Folder);
        probe.Hold(operation).Dispose();

        var elsewhere = ActorIdentity.Current(null) with { Host = "some-other-host" };

        Assert.Equal(OperationLiveness.Unknown, probe.Check(operation, elsewhere));
    }

    [Fact]
    public void A_lock_that_cannot_be_taken_stops_the_run_before_anything_is_recorded()
    {
        File.WriteAllText(_temp.File("in-the-way"), "a file where the folder should be");
        var probe = new FileLockLivenessProbe(_temp.File("in-the-way"));

        var error = Assert.Throws<AuditGuardException>(() => probe.Hold(Guid.NewGuid()));

        Assert.Equal(ErrorIds.OperationLivenessUnavailable, error.ErrorId);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_lock_folder_and_files_are_the_owners_alone()
    {
        using var hold = new FileLockLivenessProbe(Folder).Hold(Guid.NewGuid());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.EnumerateFiles(Folder).Single()));
    }

    [LinuxFact]
    public void An_orphans_lock_names_the_host_and_process_that_held_it_under_the_operations_id()
    {
        var operation = Guid.NewGuid();
        new FileLockLivenessProbe(Folder).Hold(operation).Dispose();

        var path = Path.Combine(Folder, $"{operation:D}.lock");
        Assert.Equal($"{Environment.MachineName} {Environment.ProcessId}\n", File.ReadAllText(path));
    }

    [LinuxFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_lock_folder_open_to_others_is_refused_and_its_locks_prove_nothing()
    {
        var operation = Guid.NewGuid();
        var probe = new FileLockLivenessProbe(Folder);
        probe.Hold(operation).Dispose();
        File.SetUnixFileMode(Folder, (UnixFileMode)0x1FF);

        Assert.Equal(OperationLiveness.Unknown, probe.Check(operation, ActorIdentity.Current(null)));
        var error = Assert.Throws<IOException>(probe.EnsureFolder);
        Assert.Contains("is not a lock folder AuditGuard made for this store", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x1C0, 1000u, 0u, false, false, true)] // 700, the owner's
    [InlineData(0x1C0, 0u, 0u, false, false, true)] // 700, root's
    [InlineData(0x1C0, 2000u, 0u, false, false, false)] // 700, someone else's
    [InlineData(0x1C2, 1000u, 0u, false, false, false)] // others may write
    [InlineData(0x1D0, 1000u, 0u, false, false, false)] // the group may write, in a store only its owner uses
    [InlineData(0x1C0, 1000u, 0u, true, false, false)] // a link
    [InlineData(0x1C0, 1000u, 0u, false, true, false)] // not a folder
    public void A_lock_folder_of_a_store_its_owner_uses_is_trusted_only_as_it_was_made(int mode, uint ownerId, uint groupId, bool link, bool notFolder, bool trusted)
    {
        var probe = new FileLockLivenessProbe(Folder, group: null, owner: 1000);

        Assert.Equal(trusted, probe.IsTrusted(new FileStatus(1, 1, ownerId, groupId, (UnixFileMode)mode, IsLink: link, IsFolder: !notFolder)));
    }

    [Theory]
    [InlineData(0x7F8, 50u, true)] // 3770, the group's
    [InlineData(0x5F8, 50u, false)] // 2770: no sticky bit
    [InlineData(0x3F8, 50u, false)] // 1770: no setgid bit
    [InlineData(0x7E8, 50u, false)] // 3750: the group may not write
    [InlineData(0x7F8, 51u, false)] // another group's
    [InlineData(0x7FA, 50u, false)] // others may write
    public void A_lock_folder_of_a_group_store_is_trusted_only_as_it_was_made(int mode, uint groupId, bool trusted)
    {
        var probe = new FileLockLivenessProbe(Folder, new AuditGuard.Engine.Common.UnixGroup("team", 50), owner: 1000);

        Assert.Equal(trusted, probe.IsTrusted(new FileStatus(1, 1, 1000, groupId, (UnixFileMode)mode, IsFolder: true)));
    }
}
