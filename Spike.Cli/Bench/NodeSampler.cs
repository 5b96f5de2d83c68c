using System.Diagnostics;
using System.Globalization;
using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>
/// One look at a node during the overload bench: its resident memory (<c>VmRSS</c> from /proc) and its thread pool, as
/// its <c>/metrics</c> shows the runtime's instruments (<c>dotnet.thread_pool.thread.count</c>,
/// <c>dotnet.thread_pool.queue.length</c>); null for what could not be read.
/// </summary>
public sealed record NodeSample(double AtSeconds, long? RssBytes, double? ThreadPoolThreads, double? ThreadPoolQueue);

/// <summary>The runtime's thread-pool instruments in a Prometheus scrape.</summary>
public static class RuntimeMetrics
{
    /// <summary><c>dotnet.thread_pool.thread.count</c>: the thread pool's threads.</summary>
    public const string ThreadPoolThreads = "dotnet_thread_pool_thread_count";

    /// <summary><c>dotnet.thread_pool.queue.length</c>: work items queued and not yet picked up by a thread.</summary>
    public const string ThreadPoolQueue = "dotnet_thread_pool_queue_length";

    /// <summary>
    /// The sum of a metric's samples over its label sets in Prometheus text; the name as written, or with the
    /// <c>_total</c> the exporter appends to the runtime's up-down counters. Null when the scrape has none.
    /// </summary>
    public static double? Value(string scrape, string metric)
    {
        double? sum = null;
        foreach (var raw in scrape.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var nameEnd = line.IndexOfAny([' ', '{']);
            if (nameEnd <= 0)
            {
                continue;
            }
            var name = line.AsSpan(0, nameEnd);
            if (!name.SequenceEqual(metric) && !(name.StartsWith(metric) && name[metric.Length..].SequenceEqual("_total")))
            {
                continue;
            }
            var valueStart = line[nameEnd] == '{' ? line.IndexOf('}', nameEnd) + 1 : nameEnd;
            var fields = line[valueStart..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (valueStart > 0 && fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum = (sum ?? 0) + value;
            }
        }
        return sum;
    }
}

/// <summary>Samples a node (<see cref="NodeSample"/>) on a fixed period until stopped.</summary>
internal sealed class NodeSampler(HttpClient http, int pid, Uri metrics)
{
    public const string FileName = "node-samples.tsv";

    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(2);

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public List<NodeSample> Samples { get; } = [];

    /// <summary>One sample now, kept in <see cref="Samples"/>.</summary>
    public async Task<NodeSample> SampleAsync(CancellationToken cancel)
    {
        var rss = LocalProcesses.ResidentBytes(pid);
        string? scrape = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            timeout.CancelAfter(ScrapeTimeout);
            try
            {
                scrape = await http.GetStringAsync(metrics, timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                // a scrape that fails or takes too long under load is a sample without thread-pool figures
            }
        }
        var sample = new NodeSample(_clock.Elapsed.TotalSeconds, rss,
            scrape is null ? null : RuntimeMetrics.Value(scrape, RuntimeMetrics.ThreadPoolThreads),
            scrape is null ? null : RuntimeMetrics.Value(scrape, RuntimeMetrics.ThreadPoolQueue));
        Samples.Add(sample);
        return sample;
    }

    /// <summary>Samples every 0.5 s, the first 0.5 s from now, until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await SampleAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Samples until the thread pool's queue is empty, or <paramref name="patience"/> has passed: the seconds it took, null
    /// when it did not drain.
    /// </summary>
    public async Task<double?> WaitDrainedAsync(TimeSpan patience, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if ((await SampleAsync(cancel)).ThreadPoolQueue == 0)
            {
                return clock.Elapsed.TotalSeconds;
            }
            if (clock.Elapsed >= patience)
            {
                return null;
            }
            await Task.Delay(Period, cancel);
        }
    }

    /// <summary>One line per sample, tab-separated, under a header.</summary>
    public static IEnumerable<string> Lines(IEnumerable<NodeSample> samples) =>
        samples.Select(s => string.Create(CultureInfo.InvariantCulture,
                $"{s.AtSeconds:0.000}\t{s.RssBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"}\t{s.ThreadPoolThreads?.ToString(CultureInfo.InvariantCulture) ?? "-"}\t{s.ThreadPoolQueue?.ToString(CultureInfo.InvariantCulture) ?? "-"}"))
            .Prepend("at_s\trss_bytes\tthread_pool_threads\tthread_pool_queue");
}

/// <summary>
/// A node's memory and thread pool over the overload run: at its start (the last sample taken before the overload
/// began), the most during and after it, and at the end (the last sample, once the run is over and its queue drained).
/// </summary>
public sealed record NodeFigures(
    long? RssStart, long? RssMax, long? RssEnd, double? ThreadsStart, double? ThreadsMax, double? ThreadsEnd, double? QueueMax, double? QueueEnd)
{
    /// <summary>How much more memory the node held at its most than at the start; null without both.</summary>
    public long? RssGrowth => RssMax - RssStart;

    /// <summary>Threads the pool added beyond those it had at the start; null without both.</summary>
    public double? ThreadsAdded => ThreadsMax - ThreadsStart;

    /// <param name="overloadStartSeconds">when the overload began, on the samples' clock</param>
    public static NodeFigures Of(IReadOnlyList<NodeSample> samples, double overloadStartSeconds)
    {
        var start = samples.LastOrDefault(s => s.AtSeconds <= overloadStartSeconds) ?? (samples.Count > 0 ? samples[0] : null);
        var from = samples.Where(s => s.AtSeconds >= (start?.AtSeconds ?? 0)).ToArray();
        var end = samples.Count > 0 ? samples[^1] : null;
        return new NodeFigures(
            start?.RssBytes, from.Max(s => s.RssBytes), end?.RssBytes,
            start?.ThreadPoolThreads, from.Max(s => s.ThreadPoolThreads), end?.ThreadPoolThreads,
            from.Max(s => s.ThreadPoolQueue), end?.ThreadPoolQueue);
    }
}
