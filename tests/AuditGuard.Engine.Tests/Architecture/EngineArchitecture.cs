using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;

namespace AuditGuard.Engine.Tests.Architecture;

/// <summary>
/// The engine's shape as rules over compiled code (DESIGN section 9): the arrows between folders
/// that are never drawn, no cycles between folders, database drivers only in their back end,
/// no PowerShell, and no static state. The rules take an assembly and a root namespace, so the
/// same checks run over the engine and over fixtures that break them on purpose.
/// </summary>
internal static class EngineArchitecture
{
    private static readonly string[] Folders =
        ["Common", "Canonical", "Errors", "Hosting", "Signing", "Storage", "Ledger", "Connectors", "Policy", "Operations", "Evidence"];

    /// <summary>Each folder and the folders it may never depend on, with the reason the design gives.</summary>
    private static readonly (string From, string[] Never, string Why)[] NeverArrows =
    [
        ("Common", AllBut("Common"), "Common is the leaf every folder may use"),
        ("Canonical", AllBut("Canonical", "Common"), "the canonicaliser depends on nothing but Common"),
        ("Errors", AllBut("Errors", "Common"), "error factories take strings, not engine types"),
        ("Hosting", AllBut("Hosting", "Common", "Errors"), "host callbacks are made of BCL types"),
        ("Signing", ["Storage", "Ledger", "Connectors", "Policy", "Operations", "Evidence", "Hosting"], "Signing needs no database"),
        ("Storage", ["Signing", "Ledger", "Connectors", "Policy", "Operations", "Evidence", "Hosting"], "Storage knows no Ledger: it keeps bytes"),
        ("Ledger", ["Connectors", "Policy", "Operations", "Evidence", "Hosting"], "Ledger knows no Operations: operations plug in as a projection"),
        ("Connectors", ["Storage", "Ledger", "Policy", "Operations", "Evidence"], "Connectors never write evidence; only Operations do"),
        ("Policy", ["Storage", "Ledger", "Connectors", "Operations", "Evidence", "Hosting"], "a policy decides on plain facts about a write"),
    ];

    private static readonly (string Driver, string OnlyIn)[] Drivers =
    [
        ("Microsoft.Data.Sqlite", "Storage.Sqlite"),
        ("SQLitePCL", "Storage.Sqlite"),
        ("Npgsql", "Storage.Postgres"),
    ];

    /// <summary>Every broken rule in <paramref name="assembly"/>'s types under <paramref name="root"/>, as a sentence each.</summary>
    public static List<string> Violations(Assembly assembly, string root)
    {
        var violations = new List<string>();
        foreach (var (from, never, why) in NeverArrows)
        {
            foreach (var to in never)
            {
                foreach (var type in Failing(Types.InAssembly(assembly).That().ResideInNamespaceMatching(InFolder(root, from))
                             .ShouldNot().HaveDependencyOn($"{root}.{to}")))
                {
                    violations.Add($"{from} → {to} ({type}): {why}.");
                }
            }
        }

        foreach (var (driver, onlyIn) in Drivers)
        {
            foreach (var type in Failing(Types.InAssembly(assembly).That().ResideInNamespaceStartingWith(root + ".")
                         .And().DoNotResideInNamespaceMatching(InFolder(root, onlyIn))
                         .ShouldNot().HaveDependencyOn(driver)))
            {
                violations.Add($"{type} uses the database driver {driver}: only {onlyIn} may.");
            }
        }

        foreach (var type in Failing(Types.InAssembly(assembly).That().ResideInNamespaceStartingWith(root + ".")
                     .ShouldNot().HaveDependencyOn("System.Management.Automation")))
        {
            violations.Add($"{type} uses PowerShell: the engine knows nothing of it.");
        }

        violations.AddRange(Cycles(assembly, root).Select(cycle => $"The folders {string.Join(" → ", cycle)} depend on each other in a cycle."));
        violations.AddRange(StaticState(assembly, root));
        return violations;
    }

    /// <summary>The cycles in the graph of which top-level folder depends on which.</summary>
    public static List<List<string>> Cycles(Assembly assembly, string root)
    {
        var present = Types.InAssembly(assembly).That().ResideInNamespaceStartingWith(root + ".").GetTypes()
            .Select(t => FolderOf(root, t.Namespace!)).Where(f => f is not null).Select(f => f!).Distinct().ToList();
        var edges = present.ToDictionary(f => f, _ => new List<string>());
        foreach (var from in present)
        {
            foreach (var to in present.Where(t => t != from))
            {
                var uses = Types.InAssembly(assembly).That().ResideInNamespaceMatching(InFolder(root, from))
                    .And().HaveDependencyOn($"{root}.{to}").GetTypes().Any();
                if (uses)
                {
                    edges[from].Add(to);
                }
            }
        }

        var cycles = new List<List<string>>();
        var done = new HashSet<string>();
        foreach (var start in present.Order(StringComparer.Ordinal))
        {
            Walk(start, [], edges, done, cycles);
        }

        return cycles;
    }

    /// <summary>
    /// Static fields that hold state: a writable one, or a read-only one holding a concurrent
    /// collection or an engine object with mutable insides (a registry, a set of running
    /// operations). Constant tables (names, definitions, regular expressions) are not state.
    /// </summary>
    private static IEnumerable<string> StaticState(Assembly assembly, string root)
    {
        var types = assembly.GetTypes().Where(t => InRoot(t, root) && !t.IsDefined(typeof(CompilerGeneratedAttribute)));
        foreach (var type in types)
        {
            foreach (var field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.IsLiteral || field.IsDefined(typeof(ThreadStaticAttribute)))
                {
                    continue;
                }

                if (!field.IsInitOnly || HoldsState(field.FieldType, root))
                {
                    yield return $"{type.FullName}.{field.Name} is static state: the session owns what the process shares.";
                }
            }
        }
    }

    private static bool HoldsState(Type type, string root) =>
        type.Namespace == "System.Collections.Concurrent"
        || (InRoot(type, root) && type.IsClass && type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Any(f => !f.IsInitOnly || IsMutableCollection(f.FieldType)));

    private static bool IsMutableCollection(Type type) =>
        type.Namespace == "System.Collections.Concurrent"
        || (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Dictionary<,>) || definition == typeof(List<>) || definition == typeof(HashSet<>) || definition == typeof(Queue<>)));

    private static bool InRoot(Type type, string root) => type.Namespace is { } ns && (ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal));

    private static void Walk(string node, List<string> path, Dictionary<string, List<string>> edges, HashSet<string> done, List<List<string>> cycles)
    {
        if (path.Contains(node))
        {
            var cycle = path[path.IndexOf(node)..];
            cycle.Add(node);
            if (!cycles.Any(c => c.Count == cycle.Count && new HashSet<string>(c).SetEquals(cycle)))
            {
                cycles.Add(cycle);
            }

            return;
        }

        if (done.Contains(node))
        {
            return;
        }

        path.Add(node);
        foreach (var next in edges[node])
        {
            Walk(next, path, edges, done, cycles);
        }

        path.RemoveAt(path.Count - 1);
        done.Add(node);
    }

    private static string? FolderOf(string root, string ns) =>
        ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Split('.')[0] : null;

    private static string InFolder(string root, string folder) => "^" + (root + "." + folder).Replace(".", "\\.", StringComparison.Ordinal) + "(\\..*)?$";

    private static string[] AllBut(params string[] allowed) => Folders.Except(allowed).ToArray();

    private static IEnumerable<string> Failing(ConditionList condition)
    {
        var result = condition.GetResult();
        return result.IsSuccessful ? [] : result.FailingTypeNames ?? [];
    }
}
