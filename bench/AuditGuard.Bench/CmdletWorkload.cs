using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AuditGuard.Bench;

/// <summary>
/// Cmdlet-level guarded writes: ONE child pwsh imports the module (a copy of the laid-out one,
/// so a concurrent rebuild of out/AuditGuard cannot pull it away mid-run), connects to a fresh
/// store, and on request runs rounds of
/// <c>Invoke-GuardedWrite -Connector FileSystem -Target $file -Action SetContent -Parameters @{ Value = $content } -Reason 'bench'</c>,
/// timing each call with a <c>[Diagnostics.Stopwatch]</c> and replying with the timings as JSON.
/// Rounds are asked for one at a time, so they take turns with the engine's rounds like any
/// other workload.
/// </summary>
internal sealed class CmdletWorkload : IDisposable
{
    /// <summary>Lines of the protocol start with this; anything else pwsh prints is passed through as a log line.</summary>
    private const string ReplyPrefix = "#bench ";

    private const string Script = """
        # Written by AuditGuard.Bench (bench/AuditGuard.Bench/CmdletWorkload.cs): times Invoke-GuardedWrite in this
        # process. Each line on stdin asks for a round of that many seconds ('quit' ends); each reply is one JSON line.
        param(
            [Parameter(Mandatory)] [string] $ModulePath,
            [Parameter(Mandatory)] [string] $StorePath,
            [Parameter(Mandatory)] [string] $TargetPath,
            [Parameter(Mandatory)] [string] $FirstContentPath,
            [Parameter(Mandatory)] [string] $SecondContentPath
        )
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        Set-StrictMode -Version Latest

        function Send([hashtable] $Reply) {
            [Console]::Out.WriteLine('#bench ' + ($Reply | ConvertTo-Json -Compress -Depth 3))
            [Console]::Out.Flush()
        }

        try {
            Import-Module $ModulePath
            $null = Connect-AuditStore -Path $StorePath
            $contents = [IO.File]::ReadAllText($FirstContentPath), [IO.File]::ReadAllText($SecondContentPath)
            $writes = 0
            $call = [Diagnostics.Stopwatch]::new()
            Send @{
                ready = $true
                powershell = $PSVersionTable.PSVersion.ToString()
                pshome = $PSHOME
                module = (Get-Module AuditGuard).Version.ToString()
                runtime = [Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
                processId = $PID
            }
            while ($null -ne ($line = [Console]::In.ReadLine())) {
                if ($line -eq 'quit') { break }
                $limit = [TimeSpan]::FromSeconds([double]::Parse($line, [cultureinfo]::InvariantCulture))
                [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
                $times = [Collections.Generic.List[double]]::new(4096)
                $round = [Diagnostics.Stopwatch]::StartNew()
                do {
                    $content = $contents[$writes % 2]
                    $call.Restart()
                    $operation = Invoke-GuardedWrite -Connector FileSystem -Target $TargetPath -Action SetContent -Parameters @{ Value = $content } -Reason 'bench'
                    $call.Stop()
                    $times.Add($call.Elapsed.TotalMilliseconds)
                    $writes++
                    if ($operation.State -ne 'Closed') { throw "Guarded write $writes ended $($operation.State), not Closed." }
                } while ($round.Elapsed -lt $limit)
                $round.Stop()
                Send @{ calls = $times.Count; elapsedMs = $round.Elapsed.TotalMilliseconds; timingsMs = $times.ToArray() }
            }
        }
        catch {
            Send @{ error = "$_"; at = $_.ScriptStackTrace }
            exit 1
        }
        """;

    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private readonly TimeSpan _replyTimeout;

    private CmdletWorkload(Process process, TimeSpan replyTimeout)
    {
        _process = process;
        _replyTimeout = replyTimeout;
    }

    /// <summary>What the child reported when it was ready: PowerShell and module versions, runtime, process id.</summary>
    public string Description { get; private set; } = "";

    public long Writes { get; private set; }

    /// <summary>The CPU time the child has used so far (so the machine-load reading does not count it as a neighbour's).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Starts the child and waits until it has imported the module and connected to its store.</summary>
    public static CmdletWorkload Start(PowerShellHost host, string folder, TimeSpan longestRound)
    {
        Directory.CreateDirectory(folder);
        var module = Path.Combine(folder, "module", "AuditGuard");
        CopyFolder(host.ModuleFolder, module);
        var script = Path.Combine(folder, "guarded-writes.ps1");
        File.WriteAllText(script, Script);
        var target = Path.Combine(folder, "settings.conf");
        GuardWorkload.PrepareTarget(target);
        var contentPaths = GuardWorkload.Contents.Select((content, i) =>
        {
            var path = Path.Combine(folder, $"content{i}.txt");
            File.WriteAllText(path, content);
            return path;
        }).ToArray();

        var start = new ProcessStartInfo(host.Pwsh)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in new[] { "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", script,
            "-ModulePath", module, "-StorePath", Path.Combine(folder, "store.db"), "-TargetPath", target, "-FirstContentPath", contentPaths[0], "-SecondContentPath", contentPaths[1] })
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry or update check at start-up: the child should do nothing but the writes.
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        start.Environment["POWERSHELL_UPDATECHECK"] = "Off";

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host.Pwsh}.");
        var workload = new CmdletWorkload(process, longestRound + TimeSpan.FromSeconds(60));
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (workload._errors)
                {
                    workload._errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        try
        {
            var ready = workload.Reply(TimeSpan.FromSeconds(120));
            workload.Description = string.Create(CultureInfo.InvariantCulture,
                $"PowerShell {ready.GetProperty("powershell").GetString()} ({ready.GetProperty("runtime").GetString()}) from {host.Pwsh}, AuditGuard {ready.GetProperty("module").GetString()}, process {ready.GetProperty("processId").GetInt32()}");
            return workload;
        }
        catch
        {
            workload.Dispose();
            throw;
        }
    }

    /// <summary>One round in the child: writes for <paramref name="duration"/>, each call timed there.</summary>
    public RoundResult Round(TimeSpan duration)
    {
        _process.StandardInput.WriteLine(duration.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
        _process.StandardInput.Flush();
        var reply = Reply(_replyTimeout);
        var times = reply.GetProperty("timingsMs").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        var calls = reply.GetProperty("calls").GetInt64();
        if (calls != times.Length || calls == 0)
        {
            throw new InvalidOperationException($"The pwsh child reported {calls} calls and {times.Length} timings.");
        }

        Writes += calls;
        return new RoundResult(calls, TimeSpan.FromMilliseconds(reply.GetProperty("elapsedMs").GetDouble()), times);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
                {
                    // Only the child this workload started, and whatever it started.
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The child is gone already.
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The next protocol line's JSON; other output is passed through. Fails on an error reply, an exit or a timeout.</summary>
    private JsonElement Reply(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var remaining = TimeSpan.FromSeconds(Math.Max(0, deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            string? line;
            try
            {
                line = _process.StandardOutput.ReadLineAsync().WaitAsync(remaining).GetAwaiter().GetResult();
            }
            catch (TimeoutException)
            {
                throw Failure($"no reply within {timeout.TotalSeconds:0} s");
            }

            if (line is null)
            {
                _process.WaitForExit(TimeSpan.FromSeconds(5));
                throw Failure($"it exited ({(_process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running")})");
            }

            if (!line.StartsWith(ReplyPrefix, StringComparison.Ordinal))
            {
                Console.WriteLine($"bench: pwsh: {line}");
                continue;
            }

            var reply = JsonDocument.Parse(line[ReplyPrefix.Length..]).RootElement.Clone();
            if (reply.TryGetProperty("error", out var error))
            {
                throw Failure($"{error.GetString()} {(reply.TryGetProperty("at", out var at) ? at.GetString() : "")}");
            }

            return reply;
        }
    }

    private InvalidOperationException Failure(string what)
    {
        string errors;
        lock (_errors)
        {
            errors = _errors.ToString().Trim();
        }

        return new InvalidOperationException($"The pwsh child timing Invoke-GuardedWrite failed: {what}." + (errors.Length > 0 ? $" Its stderr: {errors}" : ""));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
