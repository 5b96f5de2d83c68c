using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>The bench's settings, from the <c>SPIKE_BENCH_*</c> and anchor variables (unset: the default).</summary>
public sealed record BenchSettings
{
    /// <summary>Each measured wrk run, seconds.</summary>
    public int Seconds { get; init; } = 10;

    /// <summary>The node bench's warm-up (buy path and /ping), and each anchor's.</summary>
    public int Warmup { get; init; } = 3;

    /// <summary>The cluster bench's warm-up, half buy path, half /ping: six processes' JIT tiers take longer to settle.</summary>
    public int ClusterWarmup { get; init; } = 10;

    public int Connections { get; init; } = 100;

    public int Threads { get; init; } = 2;

    /// <summary>The success-path sales' stock: more than a run can sell.</summary>
    public int Stock { get; init; } = 5_000_000;

    /// <summary>A run with more buys than this left without a final answer is not retried (the audit then says so).</summary>
    public int ReplayMax { get; init; } = 20_000;

    /// <summary>Keep the bench's sales in Redis afterwards.</summary>
    public bool KeepData { get; init; }

    public int NodeAnchorPort { get; init; } = 3201;

    /// <summary>The Go anchor's source (main.go); the bench skips that anchor, saying so, when it is not there.</summary>
    public required string GoAnchorSource { get; init; }

    /// <summary>A Go anchor server per API port, on that port + this.</summary>
    public int GoAnchorPortOffset { get; init; } = 300;

    public int GoAnchorNginxPort { get; init; } = 8081;

    public int SelloutStock { get; init; } = 100_000;

    public int SelloutBuyers { get; init; } = 300_000;

    /// <summary>The sell-out run gives up after this many seconds.</summary>
    public int SelloutMaxSeconds { get; init; } = 120;

    /// <summary>The overload bench drives the node with this many times the connections of its capacity run.</summary>
    public int OverloadFactor { get; init; } = 5;

    /// <summary>The overload bench's probe: buys a second, each timed on its own.</summary>
    public int ProbeRate { get; init; } = 25;

    /// <summary>The cluster bench's idle window: every node's CPU with no client, seconds.</summary>
    public int IdleSeconds { get; init; } = 30;

    /// <summary>
    /// How long after the bench (its sales removed) the idle window that is checked starts, seconds. The bench leaves
    /// work behind: its last orders passivate, and the nodes' heaps have grown by hundreds of megabytes. A first
    /// window right after it is reported beside the settled one.
    /// </summary>
    public int IdleSettleSeconds { get; init; } = 120;

    /// <summary>The API node the cluster bench drives directly; null: the first API port.</summary>
    public int? DirectPort { get; init; }

    /// <exception cref="FormatException">a variable that is not a whole number</exception>
    public static BenchSettings FromEnvironment(string repository)
    {
        var defaults = new BenchSettings { GoAnchorSource = "" };
        return new BenchSettings
        {
            Seconds = LocalSettings.Number("SPIKE_BENCH_SECONDS") ?? defaults.Seconds,
            Warmup = LocalSettings.Number("SPIKE_BENCH_WARMUP") ?? defaults.Warmup,
            ClusterWarmup = LocalSettings.Number("SPIKE_BENCH_CLUSTER_WARMUP") ?? defaults.ClusterWarmup,
            Connections = LocalSettings.Number("SPIKE_BENCH_CONNECTIONS") ?? defaults.Connections,
            Threads = LocalSettings.Number("SPIKE_BENCH_THREADS") ?? defaults.Threads,
            Stock = LocalSettings.Number("SPIKE_BENCH_STOCK") ?? defaults.Stock,
            ReplayMax = LocalSettings.Number("SPIKE_BENCH_REPLAY_MAX") ?? defaults.ReplayMax,
            KeepData = LocalSettings.Text("SPIKE_BENCH_KEEP_DATA") == "1",
            NodeAnchorPort = LocalSettings.Number("SPIKE_NODE_ANCHOR_PORT") ?? defaults.NodeAnchorPort,
            GoAnchorSource = LocalSettings.Text("SPIKE_GO_ANCHOR_SRC") ?? $"{repository}/../shared/anchors/seed-go",
            GoAnchorPortOffset = LocalSettings.Number("SPIKE_GO_ANCHOR_PORT_OFFSET") ?? defaults.GoAnchorPortOffset,
            GoAnchorNginxPort = LocalSettings.Number("SPIKE_GO_ANCHOR_NGINX_PORT") ?? defaults.GoAnchorNginxPort,
            SelloutStock = LocalSettings.Number("SPIKE_BENCH_SELLOUT_STOCK") ?? defaults.SelloutStock,
            SelloutBuyers = LocalSettings.Number("SPIKE_BENCH_SELLOUT_BUYERS") ?? defaults.SelloutBuyers,
            SelloutMaxSeconds = LocalSettings.Number("SPIKE_BENCH_SELLOUT_MAX_SECONDS") ?? defaults.SelloutMaxSeconds,
            OverloadFactor = LocalSettings.Number("SPIKE_BENCH_OVERLOAD_FACTOR") ?? defaults.OverloadFactor,
            ProbeRate = LocalSettings.Number("SPIKE_BENCH_PROBE_RATE") ?? defaults.ProbeRate,
            IdleSeconds = LocalSettings.Number("SPIKE_BENCH_IDLE_SECONDS") ?? defaults.IdleSeconds,
            IdleSettleSeconds = LocalSettings.Number("SPIKE_BENCH_IDLE_SETTLE_SECONDS") ?? defaults.IdleSettleSeconds,
            DirectPort = LocalSettings.Number("SPIKE_BENCH_DIRECT_PORT"),
        };
    }
}
