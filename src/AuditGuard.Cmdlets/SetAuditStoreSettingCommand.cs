using System.Management.Automation;

namespace AuditGuard.Cmdlets;

/// <summary>Changes a store setting by appending a settings.changed record, so the chain says which value was in force when.</summary>
[Cmdlet(VerbsCommon.Set, "AuditStoreSetting", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(AuditStoreInfo))]
public sealed class SetAuditStoreSettingCommand : StoreCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(StoreSettingNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1)]
    [AllowNull]
    public object? Value { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing() => Run(() =>
    {
        var value = Value is PSObject wrapped ? wrapped.BaseObject : Value;
        if (ShouldProcessStore($"Set store setting {Name} to {value}"))
        {
            var session = Session;
            session.ChangeSetting(Name, value);
            if (PassThru)
            {
                WriteObject(Describe(session));
            }
        }
    });
}
