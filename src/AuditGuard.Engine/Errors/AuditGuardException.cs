namespace AuditGuard.Engine.Errors;

/// <summary>
/// The one exception type the engine lets escape. <see cref="ErrorId"/> is a stable
/// contract (<c>&lt;Noun&gt;&lt;Problem&gt;</c>) that scripts and tests match on; the
/// message says what happened and what to do about it.
/// </summary>
public sealed class AuditGuardException : Exception
{
    public AuditGuardException(string errorId, ErrorKind kind, string message, object? target = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>The object the error is about (a path, an id), reported as the error's target.</summary>
    public object? Target { get; }
}
