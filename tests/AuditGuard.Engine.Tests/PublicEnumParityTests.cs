using AuditGuard.Cmdlets;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Ledger.Verification;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Signing;

namespace AuditGuard.Engine.Tests;

/// <summary>
/// Scripts see the cmdlet assembly's enums, never the engine's (the engine loads apart from
/// PowerShell); the cmdlets map one onto the other by name, so the names must stay the same.
/// </summary>
public sealed class PublicEnumParityTests
{
    [Theory]
    [InlineData(typeof(OperationState), typeof(AuditOperationState))]
    [InlineData(typeof(RiskLevel), typeof(AuditRisk))]
    [InlineData(typeof(VerdictKind), typeof(AuditVerdictKind))]
    [InlineData(typeof(VerdictSeverity), typeof(AuditVerdictSeverity))]
    [InlineData(typeof(TrustLevel), typeof(AuditTrustLevel))]
    [InlineData(typeof(SigningKeyAlgorithm), typeof(AuditSigningKeyAlgorithm))]
    public void Every_engine_value_has_a_public_twin_of_the_same_name(Type engine, Type cmdlets) =>
        Assert.Equal(Enum.GetNames(engine), Enum.GetNames(cmdlets));
}
