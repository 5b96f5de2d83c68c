using System.Collections.Immutable;

namespace Spike.Actors.Sharding;

/// <param name="Shards">Shards the region hosts.</param>
/// <param name="Entities">Entities running in them.</param>
public readonly record struct ShardCount(int Shards, int Entities);

/// <summary>
/// The shards this node's regions host, by entity type, as <see cref="ShardCountsActor"/> last asked them, for the
/// sharding gauges: the actor writes, the gauges read without waiting.
/// </summary>
public sealed class ShardCounts
{
    private ImmutableDictionary<string, ShardCount> _byType = ImmutableDictionary<string, ShardCount>.Empty;

    internal IReadOnlyDictionary<string, ShardCount> ByType => Volatile.Read(ref _byType);

    internal void Set(string type, ShardCount count) => Volatile.Write(ref _byType, _byType.SetItem(type, count));
}
