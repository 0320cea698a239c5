namespace AuditGuard.Engine.Hosting;

/// <summary>
/// What the engine needs from the session that called it, in BCL terms: the cmdlets implement
/// it over PowerShell, tests and tools over the process. One is passed with each operation,
/// since where the caller stands (its current location, its runspace) belongs to the call.
/// </summary>
public interface IScriptHost
{
    /// <summary>A path as the caller means it: relative paths are relative to the caller's current location.</summary>
    string ResolvePath(string path);

    /// <summary>Recorded script text made runnable in the caller's session (to run an approved or undo step later).</summary>
    ScriptAction Load(string text);

    /// <summary>Where connectors written as PowerShell modules run; null where there is no PowerShell.</summary>
    IExtensionHost? Extensions { get; }
}

/// <summary>A host for callers outside PowerShell: paths are relative to the process's folder, and no script text can be run.</summary>
public sealed class ProcessScriptHost : IScriptHost
{
    public static ProcessScriptHost Instance { get; } = new();

    public string ResolvePath(string path) => path;

    public ScriptAction Load(string text) =>
        new(text, null, _ => throw Errors.OperationErrors.ScriptNotRunnable("this session has no PowerShell to run script text in."));

    public IExtensionHost? Extensions => null;
}
