using AuditGuard.Cmdlets;
using NetArchTest.Rules;

namespace AuditGuard.Engine.Tests.Architecture;

/// <summary>Holds the engine to its seams (DESIGN section 9), and the rules themselves to failing when broken.</summary>
public sealed class ArchitectureTests
{
    private const string Root = "AuditGuard.Engine";
    private const string FixtureRoot = "AuditGuard.Engine.Tests.Architecture.Fixture";

    [Fact]
    public void The_engine_keeps_every_arrow_of_the_design_and_has_no_cycles_between_folders()
    {
        var violations = EngineArchitecture.Violations(typeof(GuardSession).Assembly, Root);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_rules_fail_on_an_engine_that_breaks_them()
    {
        var violations = EngineArchitecture.Violations(typeof(ArchitectureTests).Assembly, FixtureRoot);

        Assert.Contains(violations, v => v.StartsWith("Ledger → Operations", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Common → Operations", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("uses the database driver Microsoft.Data.Sqlite", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("Operations → Ledger → Operations", StringComparison.Ordinal)
                                         || v.Contains("Ledger → Operations → Ledger", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("RunningHere.Operations is static state", StringComparison.Ordinal));
    }

    [Fact]
    public void The_engine_folders_the_design_names_all_exist()
    {
        var namespaces = typeof(GuardSession).Assembly.GetTypes().Select(t => t.Namespace).ToHashSet();

        foreach (var folder in new[] { "Common", "Canonical", "Errors", "Hosting", "Signing", "Storage", "Storage.Sqlite", "Storage.Central", "Ledger", "Ledger.Verification",
                     "Connectors", "Policy", "Operations", "Operations.Records" })
        {
            Assert.Contains($"{Root}.{folder}", namespaces);
        }
    }

    [Fact]
    public void The_cmdlets_reach_the_engine_only_through_the_session()
    {
        var cmdlets = typeof(AuditRisk).Assembly;
        // The scan sees the cmdlets' engine references: they do use the session.
        Assert.False(Types.InAssembly(cmdlets).ShouldNot().HaveDependencyOn("AuditGuard.Engine.GuardSession").GetResult().IsSuccessful);

        var result = Types.InAssembly(cmdlets).ShouldNot().HaveDependencyOnAny(
            "AuditGuard.Engine.Ledger.AuditLedger",
            "AuditGuard.Engine.Ledger.Verification.ChainVerifier",
            "AuditGuard.Engine.Storage.IRecordStore",
            "AuditGuard.Engine.Storage.IRecordSnapshot",
            "AuditGuard.Engine.Storage.IAppendTransaction",
            "AuditGuard.Engine.Storage.Sqlite",
            "AuditGuard.Engine.Postgres",
            "AuditGuard.Engine.Operations.OperationRunner",
            "Npgsql",
            "Microsoft.Data.Sqlite",
            "SQLitePCL").GetResult();

        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void The_PostgreSQL_back_end_is_its_own_assembly_that_nothing_else_references()
    {
        var postgres = typeof(AuditGuard.Engine.Postgres.PostgresStoreProvider).Assembly;
        foreach (var assembly in new[] { typeof(GuardSession).Assembly, typeof(AuditRisk).Assembly })
        {
            // Loaded by name when a central store is opened, so users of stores in files never load it or its driver.
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name is "AuditGuard.Engine.Postgres" or "Npgsql");
        }

        Assert.Equal(AuditGuard.Engine.Storage.Central.CentralStores.PostgresAssembly, postgres.GetName().Name);
        Assert.Contains(postgres.GetReferencedAssemblies(), a => a.Name == "Npgsql");
        var result = Types.InAssembly(postgres).ShouldNot().HaveDependencyOnAny("AuditGuard.Engine.Operations", "AuditGuard.Engine.Ledger", "Microsoft.Data.Sqlite").GetResult();
        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
    }
}
