using System.Globalization;
using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>
/// The jiffies of all CPUs since boot, from the <c>cpu</c> line of <c>/proc/stat</c>: busy (all but idle and iowait), total,
/// and interrupts (irq + softirq: mostly the loopback traffic of the run itself, so shown apart from "other").
/// </summary>
public sealed record MachineTicks(long Busy, long Total, long Interrupts)
{
    /// <exception cref="FormatException">no <c>cpu</c> line</exception>
    public static MachineTicks Parse(string procStat)
    {
        var line = procStat.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new FormatException("/proc/stat has no 'cpu' line");
        // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user
        var ticks = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var total = ticks.Sum();
        return new MachineTicks(total - ticks[3] - ticks[4], total, ticks[5] + ticks[6]);
    }

    public static MachineTicks Read() => Parse(File.ReadAllText("/proc/stat"));
}

/// <summary>A group of processes whose CPU a run's CPU line shows in one column (e.g. the API nodes).</summary>
public sealed record CpuGroup(string Name, IReadOnlyList<int> Pids);

/// <summary>The machine's ticks and each group's utime+stime at one moment.</summary>
public sealed record CpuSample(MachineTicks Machine, IReadOnlyList<long> GroupTicks)
{
    public static CpuSample Take(IReadOnlyList<CpuGroup> groups) =>
        new(MachineTicks.Read(), [.. groups.Select(g => g.Pids.Sum(ProcessTicks.Of))]);
}

/// <summary>CPU time of processes, in clock ticks (USER_HZ, 100 a second on Linux), from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
public static class ProcessTicks
{
    /// <summary>Clock ticks a second (USER_HZ).</summary>
    public const double PerSecond = 100;

    /// <summary>utime + stime of a process; 0 when it is gone.</summary>
    public static long Of(int pid) => Sum(LocalProcesses.StatFields(pid), 11, 12);

    /// <summary>
    /// cutime + cstime of this tool: the CPU of its children once they are reaped (.NET reaps every child it starts), which
    /// is how a child that has already exited (wrk) is measured.
    /// </summary>
    public static long OfReapedChildren() => Sum(LocalProcesses.StatFields(Environment.ProcessId), 13, 14);

    /// <summary>
    /// The master and its workers (<c>/proc/&lt;pid&gt;/task/*/children</c>): an nginx's processes.
    /// </summary>
    public static IReadOnlyList<int> WithChildren(int pid)
    {
        var pids = new List<int> { pid };
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                pids.AddRange(File.ReadAllText(Path.Combine(task, "children"))
                    .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(c => int.Parse(c, CultureInfo.InvariantCulture)));
            }
        }
        catch (IOException)
        {
            // gone: the master alone, whose ticks then count 0
        }
        return pids;
    }

    // fields after "pid (comm) ", the state first: utime, stime, cutime, cstime are proc(5)'s fields 14-17
    private static long Sum(string[]? fields, int first, int second) =>
        fields is null ? 0 : long.Parse(fields[first], CultureInfo.InvariantCulture) + long.Parse(fields[second], CultureInfo.InvariantCulture);
}

/// <summary>
/// The CPU line appended to each run's <c>.out</c> (what <see cref="WrkRun"/> reads back):
/// <c>CPU &lt;group&gt;=&lt;cores&gt; ... wrk=&lt;cores&gt; irq=&lt;cores&gt; other=&lt;cores&gt;</c>, each the average number of cores busy
/// during the run; "other" is the machine's busy time that no group, wrk or interrupts account for.
/// </summary>
public static class CpuLine
{
    public const string Wrk = "wrk";
    public const string Interrupts = "irq";
    public const string Other = "other";

    /// <param name="wrkTicks">wrk's own utime+stime during the run</param>
    /// <param name="cores">the machine's cores: the wall time of the run is its total ticks divided by them</param>
    public static string Format(IReadOnlyList<CpuGroup> groups, CpuSample before, CpuSample after, long wrkTicks, int cores)
    {
        var wall = (double)(after.Machine.Total - before.Machine.Total) / cores;
        if (wall <= 0)
        {
            wall = 1;
        }
        var line = new List<string> { "CPU" };
        long used = 0;
        for (var i = 0; i < groups.Count; i++)
        {
            // a process that exited (or a pid reused) during the run would count negative
            var ticks = Math.Max(0, after.GroupTicks[i] - before.GroupTicks[i]);
            used += ticks;
            line.Add($"{groups[i].Name}={Cores(ticks, wall)}");
        }
        var interrupts = after.Machine.Interrupts - before.Machine.Interrupts;
        var other = Math.Max(0, after.Machine.Busy - before.Machine.Busy - interrupts - used - wrkTicks);
        line.Add($"{Wrk}={Cores(wrkTicks, wall)}");
        line.Add($"{Interrupts}={Cores(interrupts, wall)}");
        line.Add($"{Other}={Cores(other, wall)}");
        return string.Join(' ', line);
    }

    private static string Cores(long ticks, double wall) => (ticks / wall).ToString("0.00", CultureInfo.InvariantCulture);
}
