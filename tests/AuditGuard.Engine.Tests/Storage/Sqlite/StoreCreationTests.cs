using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;
using AuditGuard.Engine.Storage.Sqlite;

namespace AuditGuard.Engine.Tests.Storage.Sqlite;

/// <summary>Creating a store never adopts what someone else placed: files, keys, a log, or a folder they can write to.</summary>
public sealed class StoreCreationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(".signer.pfx")]
    [InlineData(".secret.key")]
    public void Key_files_placed_before_the_store_exists_are_refused_and_nothing_is_created(string suffix)
    {
        var path = _temp.File("audit.db");
        File.WriteAllBytes(path + suffix, new byte[32]);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.Equal([path + suffix], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_log_placed_beside_a_store_that_does_not_exist_yet_is_refused()
    {
        var path = _temp.File("audit.db");
        File.WriteAllBytes(path + "-wal", new byte[64]);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_link_placed_where_a_new_stores_log_will_be_is_refused()
    {
        var path = _temp.File("audit.db");
        File.CreateSymbolicLink(path + "-journal", _temp.File("nowhere"));

        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.False(File.Exists(path));
    }

    /// <summary>
    /// Two openers of one new store: the second finds no file, then finds the first one's log,
    /// which only ever follows its file. Seeing the file there on the second look, it is not refused.
    /// </summary>
    [Fact]
    public void A_log_beside_a_store_file_made_meanwhile_by_another_opener_is_not_refused()
    {
        var path = _temp.File("audit.db");
        File.WriteAllBytes(path + "-journal", []);

        Assert.Throws<AuditGuardException>(() => StoreFiles.ThrowIfCompanionsExist(path));
        File.WriteAllBytes(path, []);
        StoreFiles.ThrowIfCompanionsExist(path);
        Assert.True(File.Exists(path + "-journal"));
        Assert.True(File.Exists(path));
    }

    /// <summary>
    /// A log that is a link beside an empty file about to become a store (or beside a new file, in
    /// the moment before it was made) would have SQLite write through it: refused like one beside
    /// an existing store, and what it leads to is left unchanged.
    /// </summary>
    [LinuxFact]
    public void A_linked_log_beside_an_empty_file_about_to_become_a_store_is_refused()
    {
        var path = _temp.File("audit.db");
        File.WriteAllBytes(path, []);
        var victim = _temp.File("victim.txt");
        File.WriteAllText(victim, "someone else's");
        File.CreateSymbolicLink(path + "-shm", victim);

        var error = Assert.Throws<AuditGuardException>(() => SqliteRecordStore.Open(path));

        Assert.Equal(ErrorIds.AuditStoreLogForeign, error.ErrorId);
        Assert.Equal("someone else's", File.ReadAllText(victim));
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData(0x1FF, "every user can write")]
    [InlineData(0x1FD, "group can write")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_folder_other_users_can_write_to_is_refused_for_a_new_store(int mode, string reason)
    {
        var folder = Directory.CreateDirectory(_temp.File("shared")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)mode);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(Path.Combine(folder, "audit.db"), new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreFolderUnsafe, error.ErrorId);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void An_empty_file_others_can_write_to_does_not_become_a_store()
    {
        var path = _temp.File("audit.db");
        File.WriteAllBytes(path, []);
        File.SetUnixFileMode(path, (UnixFileMode)0x1B6);

        var error = Assert.Throws<AuditGuardException>(() => GuardSession.OpenFile(path, new GuardSessionOptions()));

        Assert.Equal(ErrorIds.AuditStoreAdoptionRefused, error.ErrorId);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void A_new_store_makes_its_own_keys_and_its_genesis_says_so()
    {
        var path = _temp.File("audit.db");

        using var session = GuardSession.OpenFile(path, new GuardSessionOptions());

        Assert.True(File.Exists(LocalKeyFiles.Beside(path).SignerKeyPath));
        Assert.True(File.Exists(LocalKeyFiles.Beside(path).SecretKeyPath));
        Assert.Contains("\"keyOrigin\":\"generated\"", System.Text.Encoding.UTF8.GetString(session.ReadRecords(new()).Single().Body), StringComparison.Ordinal);
    }
}
