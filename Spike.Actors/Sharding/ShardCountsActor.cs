using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Spike.Actors.Sharding;

/// <summary>
/// Asks this node's shard regions, every <c>every</c>, for their statistics (<see cref="GetShardRegionStats"/>: each
/// shard's entity count, where <see cref="GetShardRegionState"/> would copy every entity id) and keeps the answers in
/// <see cref="ShardCounts"/>, which the sharding gauges read. Only a real region hosts shards: a proxy answers nothing.
/// </summary>
public sealed class ShardCountsActor : ReceiveActor, IWithTimers
{
    /// <param name="regions">Entity type name → this node's region of it.</param>
    public static Props Props(IReadOnlyDictionary<string, IActorRef> regions, TimeSpan every) =>
        Akka.Actor.Props.Create(() => new ShardCountsActor(regions, every));

    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

    /// <param name="Stats">Null when the region did not answer in time: its last counts stay until the next refresh.</param>
    private sealed record Counted(string Type, ShardRegionStats? Stats);

    private readonly IReadOnlyDictionary<string, IActorRef> _regions;
    private readonly TimeSpan _every;
    private readonly ShardCounts _counts = new();
    private IDisposable? _registration;

    public ITimerScheduler Timers { get; set; } = null!;

    public ShardCountsActor(IReadOnlyDictionary<string, IActorRef> regions, TimeSpan every)
    {
        _regions = regions;
        _every = every;

        Receive<Refresh>(_ =>
        {
            foreach (var (type, region) in _regions)
            {
                region.Ask<ShardRegionStats>(GetShardRegionStats.Instance, _every)
                    .PipeTo(Self, success: stats => new Counted(type, stats), failure: _ => new Counted(type, null));
            }
        });
        Receive<Counted>(counted =>
        {
            if (counted.Stats is { } stats)
            {
                _counts.Set(counted.Type, new ShardCount(stats.Stats.Count, stats.Stats.Values.Sum()));
            }
        });
    }

    protected override void PreStart()
    {
        _registration = SpikeMetrics.Observe(_counts);
        Timers.StartPeriodicTimer(nameof(Refresh), Refresh.Instance, TimeSpan.Zero, _every);
    }

    protected override void PostStop() => _registration?.Dispose();
}
