using System.Reflection;
using System.Text.RegularExpressions;
using AuditGuard.Engine.Errors;

namespace AuditGuard.Engine.Tests.Errors;

/// <summary>
/// ErrorIds are a contract runbooks match on: constants, well formed, one problem each, and
/// never compared as string literals in the code.
/// </summary>
public sealed partial class ErrorContractTests
{
    /// <summary>Ids more than one factory raises, because each names one problem met in more than one place.</summary>
    private static readonly Dictionary<string, string> SharedOnPurpose = new()
    {
        [ErrorIds.ConnectorModuleChanged] = "the connector's files are not those its registration binds: changed, or not readable whole",
        [ErrorIds.SigningCertificateNotFound] = "no certificate where the caller pointed: a file path or a store thumbprint",
        [ErrorIds.OperationTargetDrifted] = "the target changed since AuditGuard last looked: before a change, or before undoing one",
        [ErrorIds.AuditStoreGroupInvalid] = "-Group names no group this store can be shared with: unknown, not joined, unsupported here, or not the group of an existing store",
        [ErrorIds.AuditStoreFolderUnsafe] = "the folder of a new store lets others place or replace its files: writable by others, owned by another, or not set up for its group",
    };

    private static readonly Dictionary<string, string> Constants = typeof(ErrorIds)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Every_ErrorId_is_a_unique_noun_problem_constant_named_after_itself()
    {
        Assert.True(Constants.Count > 40);
        Assert.Equal(Constants.Count, Constants.Values.Distinct().Count());
        Assert.All(Constants, c =>
        {
            Assert.Equal(c.Key, c.Value);
            Assert.Matches(NounProblem(), c.Value);
        });
    }

    [Fact]
    public void Every_factory_raises_a_known_ErrorId_and_an_id_is_shared_only_on_purpose()
    {
        var raisedBy = new Dictionary<string, List<string>>();
        foreach (var method in Factories())
        {
            var error = (AuditGuardException)method.Invoke(null, method.GetParameters().Select(p => Sample(p.ParameterType)).ToArray())!;
            Assert.Contains(error.ErrorId, Constants.Values);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
            Assert.True(Enum.IsDefined(error.Kind));
            (raisedBy.TryGetValue(error.ErrorId, out var list) ? list : raisedBy[error.ErrorId] = []).Add($"{method.DeclaringType!.Name}.{method.Name}");
        }

        Assert.True(raisedBy.Count > 40);
        foreach (var (id, factories) in raisedBy.Where(r => r.Value.Count > 1))
        {
            Assert.True(SharedOnPurpose.ContainsKey(id), $"{id} is raised by {string.Join(", ", factories)}: one ErrorId names one problem.");
        }

        // Raised by the cmdlet layer, not by a factory.
        var unraised = Constants.Values.Except(raisedBy.Keys).Order().ToList();
        Assert.Equal([ErrorIds.AuditGuardInternalError, ErrorIds.OperationFailed], unraised);
    }

    [Fact]
    public void No_code_compares_an_ErrorId_with_a_string_literal()
    {
        var source = Path.Combine(RepositoryRoot(), "src");
        var offenders = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => LiteralComparison().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(source, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
        Assert.Matches(LiteralComparison(), "catch (AuditGuardException e) when (e.ErrorId is \"OperationNotFound\")");
        Assert.Matches(LiteralComparison(), "if (error.ErrorId == \"AuditStoreBusy\")");
    }

    private static IEnumerable<MethodInfo> Factories() =>
        typeof(AuditGuardException).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(ErrorIds).Namespace && t is { IsAbstract: true, IsSealed: true })
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(AuditGuardException));

    private static object? Sample(Type type) => type switch
    {
        _ when type == typeof(string) => "sample",
        _ when type == typeof(Exception) => new IOException("sample inner"),
        _ when type == typeof(IEnumerable<string>) || type == typeof(IReadOnlyList<string>) => new[] { "One", "Two" },
        _ when type == typeof(long) => 7L,
        _ when type == typeof(int) => 7,
        _ when type == typeof(Guid) => Guid.Empty,
        _ when type == typeof(bool) => true,
        _ when type == typeof(IReadOnlyList<Guid>) => new[] { Guid.Empty, Guid.Empty },
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(1),
        _ when type == typeof(DateTimeOffset) => DateTimeOffset.UnixEpoch,
        _ when type == typeof(object) => "sample",
        _ when type == typeof(AuditGuardException) => new AuditGuardException(ErrorIds.AuditStoreBusy, ErrorKind.ResourceBusy, "sample inner"),
        _ when Nullable.GetUnderlyingType(type) is not null || !type.IsValueType => null,
        _ => throw new InvalidOperationException($"The test has no sample {type}."),
    };

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AuditGuard.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("The tests run outside the repository.");
    }

    [GeneratedRegex("^(?:[A-Z][a-z0-9]*){2,}$")]
    private static partial Regex NounProblem();

    [GeneratedRegex("ErrorId\\s*(?:==|!=|is|is not)\\s*\"|ErrorId\\s*is\\s*[^;]*\\bor\\s+\"")]
    private static partial Regex LiteralComparison();
}
