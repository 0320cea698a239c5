using System.Diagnostics;
using System.Text.Json;

namespace AuditGuard.Bench;

/// <summary>
/// Where the cmdlet-level rows get PowerShell and the module from: the pwsh of the PowerShell that
/// runs build.ps1, and the module <c>build.ps1 -Task Build</c> lays out in <c>out/AuditGuard</c>.
/// </summary>
internal sealed record PowerShellHost(string Pwsh, string PwshSource, string ModuleFolder, DateTime ModuleBuilt)
{
    public const string BuildHint = "run 'dotnet pwsh -File build.ps1 -Task Build' first";

    private static readonly string PwshName = OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh";

    /// <summary>The projects whose sources the module is built from.</summary>
    private static readonly string[] ModuleProjects = ["AuditGuard.Engine", "AuditGuard.Cmdlets"];

    /// <summary>Finds pwsh and the laid-out module, or says what is missing and how to get it.</summary>
    public static PowerShellHost Locate(BenchOptions options)
    {
        var root = RepositoryRoot();
        var module = options.ModuleFolder ?? Path.Combine(root ?? Environment.CurrentDirectory, "out", "AuditGuard");
        var manifest = Path.Combine(module, "AuditGuard.psd1");
        if (!File.Exists(manifest))
        {
            throw new BenchSetupException(
                $"The cmdlet-level guarded-write rows import the laid-out module, and {manifest} does not exist: {BuildHint} (or give --module <folder>).");
        }

        if (!File.ReadAllText(manifest).Contains("Invoke-GuardedWrite", StringComparison.OrdinalIgnoreCase))
        {
            throw new BenchSetupException(
                $"The module in {module} does not export Invoke-GuardedWrite: it was built before guarded writes existed; {BuildHint}.");
        }

        var (pwsh, source) = FindPwsh(options, root);
        var built = new[] { Path.Combine(module, "AuditGuard.Cmdlets.dll"), Path.Combine(module, "Dependencies", "AuditGuard.Engine.dll") }
            .Where(File.Exists).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(File.GetLastWriteTimeUtc(manifest)).Min();
        return new PowerShellHost(pwsh, source, Path.GetFullPath(module), built);
    }

    /// <summary>
    /// The newest source file of the engine and the cmdlets, when it is newer than the module: the
    /// cmdlet rows then time an older build than the engine rows (which are built from source).
    /// </summary>
    public (string File, DateTime Changed)? NewerSource()
    {
        var root = RepositoryRoot();
        if (root is null)
        {
            return null;
        }

        var newest = ModuleProjects
            .Select(project => Path.Combine(root, "src", project))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories))
            .Where(file => file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal))
            .Where(file => !file.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Select(file => (File: Path.GetRelativePath(root, file), Changed: File.GetLastWriteTimeUtc(file)))
            .MaxBy(f => f.Changed);
        return newest.File is not null && newest.Changed > ModuleBuilt ? newest : null;
    }

    /// <summary>The folder holding build.ps1 and bench/, looked for above the bench's binaries and the current folder.</summary>
    private static string? RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "build.ps1")) && Directory.Exists(Path.Combine(folder.FullName, "bench", "AuditGuard.Bench")))
                {
                    return folder.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// In order: --pwsh; the PSHOME of the PowerShell that started the bench (pwsh puts its
    /// PSHOME/Modules on the PSModulePath it passes to child processes); the repository's local
    /// dotnet tool in the NuGet global packages folder; pwsh on the PATH.
    /// </summary>
    private static (string Path, string Source) FindPwsh(BenchOptions options, string? root)
    {
        if (options.Pwsh is { } given)
        {
            return File.Exists(given) ? (Path.GetFullPath(given), "--pwsh")
                : throw new BenchSetupException($"--pwsh {given}: no such file.");
        }

        foreach (var entry in (Environment.GetEnvironmentVariable("PSModulePath") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var home = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(entry));
            if (home is not null && Path.GetFileName(Path.TrimEndingDirectorySeparator(entry)) == "Modules"
                && File.Exists(Path.Combine(home, "System.Management.Automation.dll")) && File.Exists(Path.Combine(home, PwshName)))
            {
                return (Path.Combine(home, PwshName), "PSHOME of the PowerShell running the bench (from PSModulePath)");
            }
        }

        if (root is not null && ToolVersion(root) is { } version && PackagesFolder() is { } packages)
        {
            var tools = Path.Combine(packages, "powershell", version, "tools");
            var platform = OperatingSystem.IsWindows() ? "win" : "unix";
            var candidate = Directory.Exists(tools)
                ? Directory.EnumerateDirectories(tools).Order(StringComparer.Ordinal).Reverse()
                    .Select(tfm => Path.Combine(tfm, "any", platform, PwshName)).FirstOrDefault(File.Exists)
                : null;
            if (candidate is not null)
            {
                return (candidate, $"the local dotnet tool powershell {version} in {packages}");
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, PwshName)).FirstOrDefault(File.Exists);
        return onPath is not null ? (onPath, "PATH")
            : throw new BenchSetupException("No pwsh found: run the bench through 'dotnet pwsh -File build.ps1 -Task Bench' (after 'dotnet tool restore'), or give --pwsh <path>.");
    }

    /// <summary>The powershell version in the repository's dotnet tool manifest.</summary>
    private static string? ToolVersion(string root)
    {
        var manifest = Path.Combine(root, ".config", "dotnet-tools.json");
        if (!File.Exists(manifest))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(manifest));
        return document.RootElement.TryGetProperty("tools", out var tools) && tools.TryGetProperty("powershell", out var tool)
            && tool.TryGetProperty("version", out var version) ? version.GetString() : null;
    }

    /// <summary>NUGET_PACKAGES, or what <c>dotnet nuget locals global-packages --list</c> says.</summary>
    private static string? PackagesFolder()
    {
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set)
        {
            return set;
        }

        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { "nuget", "locals", "global-packages", "--list" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var line = output.Split('\n').FirstOrDefault(l => l.Contains("global-packages:", StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>The bench cannot run as set up (a missing build, no pwsh): exit code 2 with this message.</summary>
internal sealed class BenchSetupException(string message) : Exception(message);
