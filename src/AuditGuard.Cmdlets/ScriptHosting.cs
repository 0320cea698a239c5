using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Remoting;
using AuditGuard.Engine.Common;
using AuditGuard.Engine.Errors;
using AuditGuard.Engine.Hosting;
using AuditGuard.Engine.Operations;
using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Cmdlets;

/// <summary>
/// What the engine needs from PowerShell for an operation, in BCL terms: script blocks as
/// delegates that run in the caller's session, parameter values unwrapped, credentials
/// marked as secrets, paths resolved against the caller's current location.
/// </summary>
internal sealed class ScriptHosting(PSCmdlet cmdlet) : IScriptHost
{
    private PowerShellExtensionHost? _extensions;

    /// <summary>Connector modules run in runspaces of their own that share this cmdlet's host.</summary>
    public IExtensionHost Extensions => _extensions ??= new PowerShellExtensionHost(cmdlet);

    private const string ExitCodeMarker = "__auditGuardExitCode";

    // Splats the caller's own hashtable into the caller's script block, exactly as
    // `& $ScriptBlock @Parameters` would; its non-terminating errors come back as objects so
    // they reach Invoke-GuardedWrite's error stream (-ErrorVariable, -ErrorAction) and not the
    // host, and the exit code of the last native command it ran comes back after them.
    private static readonly ScriptBlock Splatter = ScriptBlock.Create($$"""
        param($__auditGuardScript, $__auditGuardParameters)
        $__auditGuardPrevious = $global:LASTEXITCODE
        $global:LASTEXITCODE = $null
        & $__auditGuardScript @__auditGuardParameters 2>&1
        $__auditGuardCode = $global:LASTEXITCODE
        if ($null -eq $__auditGuardCode) { $global:LASTEXITCODE = $__auditGuardPrevious }
        [pscustomobject]@{ {{ExitCodeMarker}} = $__auditGuardCode }
        """);

    /// <summary>
    /// The caller's script block as the engine runs it. A block that writes an error, or whose
    /// last native command exits non-zero, has failed even if it threw nothing: the errors still
    /// reach the caller's error stream, and the step fails with OperationScriptFailed, so no
    /// record reads Closed for a step that did not succeed.
    /// </summary>
    public ScriptAction Action(ScriptBlock script, Hashtable? parameters, List<object?>? output) => new(
        script.ToString(),
        DeclaredParameters(script),
        _ =>
        {
            var objects = new List<object?>();
            var errors = new List<ErrorRecord>();
            int? exitCode = null;
            foreach (var result in cmdlet.InvokeCommand.InvokeScript(true, Splatter, null, script, parameters ?? []))
            {
                if (result?.BaseObject is ErrorRecord error)
                {
                    errors.Add(error);
                    cmdlet.WriteError(error);
                }
                else if (result?.Properties[ExitCodeMarker] is { } code)
                {
                    exitCode = code.Value is null ? null : Convert.ToInt32(code.Value, System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    objects.Add(result?.BaseObject);
                }
            }

            output?.AddRange(objects);
            if (errors.Count > 0 || exitCode is not (null or 0))
            {
                throw OperationErrors.ScriptFailed(exitCode, errors.Select(e => e.ToString()).ToList());
            }

            return objects;
        });

    /// <summary>The names a script block's param() declares; a block without one takes no named parameters.</summary>
    public static IReadOnlyCollection<string> DeclaredParameters(ScriptBlock script) =>
        script.Ast is ScriptBlockAst { ParamBlock: { } block }
            ? block.Parameters.Select(p => p.Name.VariablePath.UserPath).ToList()
            : [];

    /// <summary>The -Parameters hashtable as plain values at every depth (the engine's one converter); credentials become secrets the ledger only hashes.</summary>
    public static IReadOnlyDictionary<string, object?> Values(Hashtable? parameters) => ParameterValues.Convert(parameters, Unwrap);

    /// <summary>Paths relative to the PowerShell location, not the process's folder; a path PowerShell cannot resolve is left for the connector to report.</summary>
    public string ResolvePath(string path)
    {
        try
        {
            return cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }
        catch (Exception e) when (e is ItemNotFoundException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSArgumentException or NotSupportedException)
        {
            return path;
        }
    }

    /// <summary>Recorded script text as a script block of this session, splatted with the parameters it is given.</summary>
    public ScriptAction Load(string text)
    {
        var script = ScriptBlock.Create(text);
        return new ScriptAction(text, DeclaredParameters(script), parameters =>
        {
            var splatted = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in parameters)
            {
                splatted[name] = value;
            }

            return Action(script, splatted, null).Invoke(parameters);
        });
    }

    /// <summary>The user behind a remoting or JEA session ($PSSenderInfo), or null in a local session.</summary>
    public static string? ConnectedUser(PSCmdlet cmdlet)
    {
        var value = cmdlet.GetVariableValue("PSSenderInfo");
        if ((value is PSObject wrapped ? wrapped.BaseObject : value) is not PSSenderInfo info)
        {
            return null;
        }

        // ConnectedUser (PowerShell 7) names the user even when JEA runs them as a virtual account.
        return PSObject.AsPSObject(info).Properties["ConnectedUser"]?.Value as string ?? info.UserInfo?.Identity?.Name;
    }

    // One level of PowerShell wrapping, for the converter. A [pscustomobject] is its properties,
    // but only a plain note property is read: a script or code property, or a note property of a
    // derived kind (a variable property reads a PSVariable, which can be derived from), would run
    // the caller's code, in a dry run too, so it is recorded by its type alone.
    internal static object? Unwrap(object value) => value switch
    {
        PSObject { BaseObject: PSCustomObject } custom => new ValueMembers(
            custom.Properties.Where(IsPlainNote).Select(p => KeyValuePair.Create<string, object?>(p.Name, p.Value)).ToList(),
            custom.Properties.Where(p => !IsPlainNote(p)).Select(p => KeyValuePair.Create(p.Name, p.GetType().Name)).ToList()),
        PSObject wrapped => wrapped.BaseObject,
        PSCredential credential => new SecretValue(credential.UserName, credential.Password),
        _ => value,
    };

    private static bool IsPlainNote(PSPropertyInfo property) => property.GetType() == typeof(PSNoteProperty);
}
