using System.Management.Automation;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Policy;

namespace AuditGuard.Cmdlets;

/// <summary>
/// Explains what a policy decides for a write, running nothing: for a write described by its
/// connector, action and target, or for recorded operations from the pipeline (then it also says
/// whether the policy would have decided differently from the decision recorded then).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "GuardPolicy", DefaultParameterSetName = RequestSet)]
[OutputType(typeof(GuardPolicyTest))]
public sealed class TestGuardPolicyCommand : StoreCmdlet
{
    private const string RequestSet = "Request";
    private const string OperationSet = "Operation";

    // A reference, not a tuple: a value-type field would load the engine before the module's load context can resolve it.
    private PolicyDocument? _file;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RequestSet)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Connector { get; set; } = "";

    [Parameter(ParameterSetName = RequestSet)]
    [ArgumentCompleter(typeof(ConnectorActionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = RequestSet)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    /// <summary>The risk the caller would declare; the action's default applies when it is higher.</summary>
    [Parameter(ParameterSetName = RequestSet)]
    public AuditRisk? Risk { get; set; }

    /// <summary>The account asking (DOMAIN\user or user); the current one when not given.</summary>
    [Parameter(ParameterSetName = RequestSet)]
    [ValidateNotNullOrEmpty]
    public string? Actor { get; set; }

    /// <summary>When the write would be asked for (rules with DaysOfWeek or Hours); now when not given.</summary>
    [Parameter(ParameterSetName = RequestSet)]
    public DateTime? At { get; set; }

    /// <summary>Recorded operations (Get-Operation): each is decided as it was asked for, at its time, by its actor.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = OperationSet)]
    public GuardedOperation? InputObject { get; set; }

    /// <summary>A policy file to test instead of the store's active policy (nothing is set).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    protected override void BeginProcessing() => Run(() =>
    {
        if (Path is not null)
        {
            _file = PolicyFiles.Read(FileSystemPaths.Resolve(SessionState, Path)).Document;
        }
    });

    protected override void ProcessRecord() => Run(() =>
    {
        var session = Session;
        PolicyRequest request;
        GuardedOperation? recorded = InputObject;
        if (recorded is null)
        {
            var at = At is { } given ? new DateTimeOffset(given.ToUniversalTime(), TimeSpan.Zero) : session.Clock.GetUtcNow();
            var actor = Actor ?? ActorIdentity.Current(ScriptHosting.ConnectedUser(this)).Principal;
            request = session.DescribeForPolicy(Connector, Action, Target, Risk is { } risk ? Enum.Parse<RiskLevel>(risk.ToString()) : null,
                new PolicyActor(actor), at, new ScriptHosting(this));
        }
        else
        {
            request = new PolicyRequest(recorded.Connector, recorded.Action ?? "", recorded.Target, Enum.Parse<RiskLevel>(recorded.Risk.ToString()),
                new PolicyActor(recorded.Principal), recorded.RollbackContract?.Supported ?? false, recorded.Created);
        }

        var decision = session.TestPolicy(_file, request);
        WriteObject(GuardPolicyTest.From(request, decision, recorded));
    });
}
