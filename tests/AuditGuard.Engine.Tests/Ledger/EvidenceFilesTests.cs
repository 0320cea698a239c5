using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Ledger;

namespace AuditGuard.Engine.Tests.Ledger;

public sealed class EvidenceFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("auditguard-evidence-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Writes_every_file_and_leaves_no_staging_file_behind()
    {
        EvidenceFiles.WriteAll([(PathOf("a.json"), [1]), (PathOf("a.json.p7s"), [2])], overwrite: false);

        Assert.Equal([1], File.ReadAllBytes(PathOf("a.json")));
        Assert.Equal([2], File.ReadAllBytes(PathOf("a.json.p7s")));
        Assert.Equal(2, Directory.GetFiles(_folder).Length);
    }

    [Fact]
    public void Refuses_an_existing_file_unless_told_to_overwrite_and_then_replaces_it()
    {
        File.WriteAllBytes(PathOf("a.json.p7s"), [9]);

        var error = Assert.Throws<AuditGuardException>(() => EvidenceFiles.WriteAll([(PathOf("a.json"), [1]), (PathOf("a.json.p7s"), [2])], overwrite: false));

        Assert.Equal(ErrorIds.AuditExportTargetExists, error.ErrorId);
        Assert.False(File.Exists(PathOf("a.json")));
        EvidenceFiles.WriteAll([(PathOf("a.json"), [1]), (PathOf("a.json.p7s"), [2])], overwrite: true);
        Assert.Equal([2], File.ReadAllBytes(PathOf("a.json.p7s")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Never_writes_through_a_planted_link_even_a_dangling_one_even_with_overwrite(bool overwrite)
    {
        var victim = PathOf("victim.txt");
        File.WriteAllText(victim, "keep");
        File.CreateSymbolicLink(PathOf("witness.json"), victim);
        File.CreateSymbolicLink(PathOf("witness.json.p7s"), PathOf("not-yet-there"));

        var error = Assert.Throws<AuditGuardException>(() => EvidenceFiles.WriteAll([(PathOf("witness.json"), [1]), (PathOf("witness.json.p7s"), [2])], overwrite));

        Assert.Equal(ErrorIds.AuditExportTargetIsLink, error.ErrorId);
        Assert.Equal("keep", File.ReadAllText(victim));
        Assert.False(File.Exists(PathOf("not-yet-there")));
    }
}
