using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Lets -Store take a store object (from Get-AuditStore, Connect-AuditStore -PassThru, Test-AuditChain) or a file as well as a path.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class StoreTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject wrapped ? wrapped.BaseObject : inputData) switch
        {
            AuditStoreInfo store => store.Path,
            AuditChainVerification verification => verification.Store,
            FileInfo file => file.FullName,
            var other => other,
        };
}
