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
}
