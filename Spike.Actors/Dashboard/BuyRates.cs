using Spike.Actors.Inventory;

namespace Spike.Actors.Dashboard;

/// <summary>
/// One API node's buy answers over its last second, published every second on <see cref="Topic"/> so that
/// whichever node serves the dashboard shows every node's rates.
/// </summary>
/// <param name="Node">The node's cluster address.</param>
/// <param name="Outcomes">Answers per second by outcome; outcomes without answers are left out.</param>
/// <param name="P99Ms">The p99 of the buy endpoint's latency, as the upper bound of its histogram bucket; null without answers.</param>
public sealed record BuyRates(string Node, long AtUnixMs, IReadOnlyList<OutcomeRate> Outcomes, double? P99Ms) : ISpikeMessage
{
    public const string Topic = "buy-rates";
}

public readonly record struct OutcomeRate(ReserveStatus Status, double PerSecond);
