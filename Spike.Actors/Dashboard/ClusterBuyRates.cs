using System.Collections.Concurrent;

namespace Spike.Actors.Dashboard;

/// <summary>
/// The latest <see cref="BuyRates"/> of every API node, as this node heard them on the topic. Written by the
/// node's <see cref="BuyRatesActor"/>, read by the dashboard.
/// </summary>
public sealed class ClusterBuyRates(TimeProvider clock)
{
    /// <summary>A node silent this long is gone (killed, or left): its last rates are no longer shown.</summary>
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (BuyRates Rates, DateTimeOffset HeardAt)> _latest = new();

    internal void Record(BuyRates rates) => _latest[rates.Node] = (rates, clock.GetUtcNow());

    /// <summary>Each node heard within <see cref="Staleness"/>, in address order.</summary>
    public IReadOnlyList<BuyRates> Current()
    {
        var oldest = clock.GetUtcNow() - Staleness;
        return [.. _latest.Values.Where(entry => entry.HeardAt >= oldest).Select(entry => entry.Rates).OrderBy(rates => rates.Node, StringComparer.Ordinal)];
    }
}
