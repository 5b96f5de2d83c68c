using System.Globalization;
using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>
/// What each node costs while no client sends anything: its CPU (utime + stime, every thread) over a window, as a share
/// of one core. The cluster's own traffic (heartbeats, gossip, the dashboard's rates, the order feed's polling) and the
/// runtime's timers are what remains.
/// </summary>
internal static class IdleCost
{
    /// <returns>each node with its share of one core, in percent, in the order given</returns>
    public static async Task<IReadOnlyList<(RunProcess Node, double Percent)>> MeasureAsync(IReadOnlyList<RunProcess> nodes, TimeSpan window, CancellationToken cancel)
    {
        var before = nodes.Select(node => ProcessTicks.Of(node.Pid)).ToArray();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(window, cancel);
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        return [.. nodes.Select((node, i) => (node, (ProcessTicks.Of(node.Pid) - before[i]) / ProcessTicks.PerSecond / seconds * 100))];
    }

    /// <summary>The busiest node's share in percent; null without nodes.</summary>
    public static double? Busiest(IReadOnlyList<(RunProcess Node, double Percent)> costs) =>
        costs.Count == 0 ? null : costs.Max(c => c.Percent);

    /// <summary>"inventory-1 0.95, api-3001 1.10, …" (percent of a core).</summary>
    public static string Describe(IReadOnlyList<(RunProcess Node, double Percent)> costs) =>
        string.Join(", ", costs.Select(c => $"{c.Node.Name} {c.Percent.ToString("0.00", CultureInfo.InvariantCulture)}"));
}
