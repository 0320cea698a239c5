namespace AuditGuard.Engine.Tests;

/// <summary>
/// A fact about Unix behaviour (permission bits, devices, pipes): reported as skipped elsewhere,
/// never as passed, so a run on Windows cannot count a check it did not make.
/// </summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Unix only: Windows has no permission bits, devices or pipes in the file system.";
        }
    }
}

/// <summary>A fact about Linux behaviour: reported as skipped on other systems, never as passed.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
    }
}

/// <summary>A theory about Linux behaviour: reported as skipped on other systems, never as passed.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
    }
}

/// <summary>A fact that needs root on Linux (acting for other users): reported as skipped otherwise, never as passed.</summary>
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || AuditGuard.Engine.Common.FileStatus.CurrentUserId() != 0)
        {
            Skip = "Needs root on Linux.";
        }
    }
}
