namespace Spike.Cli.Bench;

/// <summary>The overload bench's targets, and the checks of its figures against them.</summary>
public static class OverloadChecks
{
    /// <summary>Admitted answers (reserved, sold out) must stay far inside the node's request timeout (5 s).</summary>
    public const double AdmittedP99TargetMs = 500;

    /// <summary>
    /// What the node may grow by: the buyers admission control lets in (10,000 at most, a few KB each), the connections'
    /// buffers and the garbage collector's room; a node that kept what it refused would grow by far more.
    /// </summary>
    public const long RssGrowthTargetBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Threads the pool may add during the overload per core: its hill climbing moves by a few, while a starved pool (its
    /// threads blocked, its queue not moving) injects a thread every half second or so, tens in a run.
    /// </summary>
    public const int ThreadsAddedPerCore = 2;

    /// <summary>The thread pool must have emptied its queue this soon after the overload stops.</summary>
    public static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(10);

    /// <summary>The probe's admitted answers kept their p99 inside the target; false without any.</summary>
    public static bool AdmittedWithinBound(ProbeSummary probe) => probe.AdmittedP99Ms <= AdmittedP99TargetMs;

    /// <summary>The node's memory grew by no more than the target (false when it could not be read).</summary>
    public static bool MemoryFlat(NodeFigures node) => node.RssGrowth <= RssGrowthTargetBytes;

    public static int ThreadsAddedTarget(int cores) => ThreadsAddedPerCore * cores;

    /// <summary>The thread pool added no more threads than its hill climbing would (false when they could not be read).</summary>
    public static bool NoStarvation(NodeFigures node, int cores) => node.ThreadsAdded <= ThreadsAddedTarget(cores);

    /// <summary>5xx answers of the wrk run and of the probe.</summary>
    public static long ServerErrors(WrkRun run, ProbeSummary probe) => run.Statuses.Where(s => s.Key >= 500).Sum(s => s.Value) + probe.ServerErrors;
}
