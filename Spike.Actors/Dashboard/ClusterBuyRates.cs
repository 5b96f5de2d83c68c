using System.Collections.Concurrent;

namespace Spike.Actors.Dashboard;

/// <summary>
/// The latest <see cref="BuyRates"/> of every API node, as this node heard them on the topic. Written by the
/// node's <see cref="BuyRatesActor"/>, read by the dashboard.
/// </summary>
public sealed class ClusterBuyRates(TimeProvider clock)
{
    /// <summary>Rates older than this are no longer shown: their node went quiet without saying so (killed, or left).</summary>
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (BuyRates Rates, DateTimeOffset HeardAt)> _latest = new();

    internal void Record(BuyRates rates) => _latest[rates.Node] = (rates, clock.GetUtcNow());

    /// <summary>
    /// A row per node of <paramref name="apiNodes"/> (cluster addresses), in address order: its rates heard within
    /// <see cref="Staleness"/>, else no answers. A node publishes only while it answers buys and once when it stops,
    /// so a node not heard from is a quiet one. The rates of nodes no longer among them are forgotten.
    /// </summary>
    public IReadOnlyList<BuyRates> Current(IEnumerable<string> apiNodes)
    {
        var now = clock.GetUtcNow();
        var members = apiNodes.ToHashSet(StringComparer.Ordinal);
        foreach (var departed in _latest.Keys.Where(node => !members.Contains(node)))
        {
            _latest.TryRemove(departed, out _);
        }
        return
        [
            .. members.Order(StringComparer.Ordinal).Select(node =>
                _latest.TryGetValue(node, out var heard) && heard.HeardAt >= now - Staleness
                    ? heard.Rates
                    : new BuyRates(node, now.ToUnixTimeMilliseconds(), [], null)),
        ];
    }
}
