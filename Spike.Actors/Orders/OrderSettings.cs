namespace Spike.Actors.Orders;

/// <param name="RetryAfter">After the store failed to settle an order past its deadline, the next try comes this much later.</param>
/// <param name="PassivateAfter">A settled or unknown order stops this long after its last message (its journal keeps it).</param>
/// <param name="OpenPassivateAfter">
/// An open order stops this long after its last message. Its deadline timer goes with it; the order feed wakes it
/// at the deadline (every open order is on the store's deadlines), so a sale's many unpaid orders need not all stay
/// in memory.
/// </param>
public sealed record OrderSettings(TimeSpan RetryAfter, TimeSpan PassivateAfter, TimeSpan OpenPassivateAfter)
{
    public static readonly OrderSettings Default = new(
        RetryAfter: TimeSpan.FromSeconds(1),
        PassivateAfter: TimeSpan.FromSeconds(30),
        OpenPassivateAfter: TimeSpan.FromMinutes(1));
}
