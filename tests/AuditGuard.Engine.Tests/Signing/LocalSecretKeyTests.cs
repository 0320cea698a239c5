using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests.Signing;

public sealed class LocalSecretKeyTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_created_secret_is_32_bytes_in_an_owner_only_file_and_reloads_the_same()
    {
        var path = _temp.File("audit.db.secret.key");

        Assert.True(LocalSecretKey.TryCreateExclusive(path));
        var created = LocalSecretKey.TryLoad(path)!;

        Assert.Equal(32, created.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(created, LocalSecretKey.TryLoad(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_secret_that_exists_is_never_replaced_or_adopted_as_new()
    {
        var path = _temp.File("planted.secret.key");
        var planted = Enumerable.Repeat((byte)7, 32).ToArray();
        File.WriteAllBytes(path, planted);

        Assert.False(LocalSecretKey.TryCreateExclusive(path));
        Assert.Equal(planted, File.ReadAllBytes(path));
    }

    [Fact]
    public void Loading_a_missing_secret_gives_null()
    {
        Assert.Null(LocalSecretKey.TryLoad(_temp.File("absent.secret.key")));
    }

    [Fact]
    public void A_secret_of_the_wrong_length_is_reported_as_damaged()
    {
        var path = _temp.File("audit.db.secret.key");
        File.WriteAllBytes(path, new byte[31]);

        var error = Assert.Throws<AuditGuardException>(() => LocalSecretKey.TryLoad(path));

        Assert.Equal("SecretKeyInvalid", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Equal(path, error.Target);
    }

    [Fact]
    public void Of_many_threads_creating_one_secret_exactly_one_creates_it()
    {
        var path = _temp.File("raced.secret.key");
        var created = new bool[8];
        using var ready = new Barrier(created.Length);

        // Dedicated threads: a barrier on pool threads would wait for the pool to grow.
        var threads = Enumerable.Range(0, created.Length).Select(i => new Thread(() =>
        {
            ready.SignalAndWait();
            created[i] = LocalSecretKey.TryCreateExclusive(path);
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        Assert.Single(created, c => c);
        Assert.Equal(32, LocalSecretKey.TryLoad(path)!.Length);
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }
}
