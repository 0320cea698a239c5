using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Shows the session's current store: where it is, its id, and its head.</summary>
[Cmdlet(VerbsCommon.Get, "AuditStore")]
[OutputType(typeof(AuditStoreInfo))]
public sealed class GetAuditStoreCommand : StoreCmdlet
{
    protected override void EndProcessing() => Run(() => WriteObject(Describe(Session)));
}
