namespace AuditGuard.Engine.Hosting;

/// <summary>
/// A script block as the engine sees it: its text (recorded by digest), the parameters it
/// declares, and a way to run it in the caller's session. The host supplies it; the engine
/// never touches PowerShell itself.
/// </summary>
public sealed record ScriptAction(string Text, IReadOnlyCollection<string>? DeclaredParameters, Func<IReadOnlyDictionary<string, object?>, IReadOnlyList<object?>> Invoke);
