namespace Spike.Actors.Orders;

/// <summary>
/// Each sale's feed lag (<see cref="OrderProgress.Lag"/>) as the order feed last measured it, for the
/// <see cref="SpikeMetrics.OrdersFeedLagName"/> gauge: the feed replaces it whole, the gauge reads it without waiting.
/// </summary>
public sealed class OrderFeedLag
{
    private IReadOnlyDictionary<string, long> _bySale = new Dictionary<string, long>();

    internal IReadOnlyDictionary<string, long> BySale => Volatile.Read(ref _bySale);

    internal void Set(IReadOnlyDictionary<string, long> bySale) => Volatile.Write(ref _bySale, bySale);
}
