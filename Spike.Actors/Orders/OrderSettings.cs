namespace Spike.Actors.Orders;

/// <param name="RetryAfter">After the store failed to settle an order past its deadline, the next try comes this much later.</param>
/// <param name="PassivateAfter">
/// A settled or unknown order stops this long after its last message (its journal keeps it). An open order never
/// does: its deadline timer lives in memory.
/// </param>
public sealed record OrderSettings(TimeSpan RetryAfter, TimeSpan PassivateAfter)
{
    public static readonly OrderSettings Default = new(RetryAfter: TimeSpan.FromSeconds(1), PassivateAfter: TimeSpan.FromSeconds(30));
}
