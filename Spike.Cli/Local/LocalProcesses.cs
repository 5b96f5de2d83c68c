using System.Diagnostics;
using System.Globalization;

namespace Spike.Cli.Local;

/// <summary>Starting, probing and signalling the local cluster's processes (Linux: <c>/proc</c> and signals).</summary>
public static class LocalProcesses
{
    /// <summary>
    /// Starts <paramref name="command"/> in its own session (a Ctrl-C of the tool does not reach it, and it outlives the
    /// tool), its output appended to <paramref name="log"/>, stdin from /dev/null. The shell and setsid exec in place, so
    /// the returned process and its pid are the program's own.
    /// </summary>
    public static Process StartDetached(
        string directory, string log, IReadOnlyList<string> command, IEnumerable<KeyValuePair<string, string>> environment) =>
        Start(directory, log, command, environment, "exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");

    /// <summary>
    /// Starts <paramref name="command"/> in the tool's own session (a Ctrl-C reaches it too), its output (both streams)
    /// written to <paramref name="output"/>, stdin from /dev/null; the returned process is the program's own.
    /// </summary>
    public static Process StartAttached(string directory, string output, IReadOnlyList<string> command) =>
        Start(directory, output, command, [], "exec \"$@\" >\"$log\" 2>&1 </dev/null");

    private static Process Start(
        string directory, string log, IReadOnlyList<string> command, IEnumerable<KeyValuePair<string, string>> environment, string script)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = directory, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=$1; shift; " + script);
        info.ArgumentList.Add("spike-start");
        info.ArgumentList.Add(log);
        foreach (var argument in command)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }

    /// <summary>The kernel's start time of a live process (field 22 of /proc/pid/stat); null when it is gone or a zombie.</summary>
    public static long? StartTime(int pid) =>
        StatFields(pid) is { } fields && fields[0] is not ("Z" or "X" or "x") ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// The fields of <c>/proc/&lt;pid&gt;/stat</c> after "pid (comm) ", the state first (field 3 of proc(5) at index 0);
    /// null when there is no such process.
    /// </summary>
    public static string[]? StatFields(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // comm may hold spaces and parentheses, so fields are counted after the last ')'
        return stat[(stat.LastIndexOf(')') + 2)..].TrimEnd('\n').Split(' ');
    }

    /// <summary>The recorded process still runs: the pid is alive and was started when ours was (not reused).</summary>
    public static bool IsRunning(RunProcess process) => StartTime(process.Pid) == process.StartTime;

    /// <summary>Resident memory in bytes; null when the process is gone.</summary>
    public static long? ResidentBytes(int pid) => StatusBytes(pid, "VmRSS:");

    /// <summary>The most resident memory the process has had, in bytes; null when it is gone.</summary>
    public static long? PeakResidentBytes(int pid) => StatusBytes(pid, "VmHWM:");

    /// <summary>A kB line of <c>/proc/&lt;pid&gt;/status</c>, in bytes.</summary>
    private static long? StatusBytes(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? null : 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static void Terminate(RunProcess process) => Signal(process, "TERM");

    public static void Kill(RunProcess process) => Signal(process, "KILL");

    /// <summary>Waits until the process is gone, polling; false when it still runs at the deadline.</summary>
    public static async Task<bool> WaitForExitAsync(RunProcess process, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = Stopwatch.StartNew();
        while (IsRunning(process))
        {
            if (deadline.Elapsed >= timeout)
            {
                return false;
            }
            await Task.Delay(100, cancel);
        }
        return true;
    }

    /// <summary>The last lines of a log file ("" when there is none).</summary>
    public static string Tail(string log, int lines)
    {
        if (!File.Exists(log))
        {
            return "";
        }
        var queue = new Queue<string>(lines);
        using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            if (queue.Count == lines)
            {
                queue.Dequeue();
            }
            queue.Enqueue(line);
        }
        return string.Join('\n', queue);
    }

    private static void Signal(RunProcess process, string signal)
    {
        // only our process: a pid that now names another one is left alone
        if (IsRunning(process))
        {
            Signal(process.Pid.ToString(CultureInfo.InvariantCulture), signal);
        }
    }

    /// <summary>SIGINT to a process the tool started and still holds (wrk prints its results on it).</summary>
    public static void Interrupt(Process process) => Signal(process.Id.ToString(CultureInfo.InvariantCulture), "INT");

    /// <summary>SIGTERM to the whole process group a process started by <see cref="StartDetached"/> leads (its own session).</summary>
    public static void TerminateGroup(Process process) => Signal("-" + process.Id.ToString(CultureInfo.InvariantCulture), "TERM");

    /// <summary>kill(1): .NET itself only sends SIGKILL. <paramref name="target"/>: a pid, or -pgid for a process group.</summary>
    private static void Signal(string target, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, "--", target])
        {
            RedirectStandardError = true,
        });
        kill?.WaitForExit();
    }
}
