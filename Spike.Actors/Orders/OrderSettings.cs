namespace Spike.Actors.Orders;

/// <param name="RetryAfter">After the store failed to settle an order past its deadline, the next try comes this much later.</param>
/// <param name="PassivateAfter">
/// An order stops this long after its last message; its journal keeps it. An open order's deadline timer goes with
/// it: the order feed wakes it at its deadline (every open order is on the store's deadlines), so a sale's many unpaid
/// orders need not stay in memory.
/// </param>
public sealed record OrderSettings(TimeSpan RetryAfter, TimeSpan PassivateAfter)
{
    public static readonly OrderSettings Default = new(RetryAfter: TimeSpan.FromSeconds(1), PassivateAfter: TimeSpan.FromSeconds(10));
}
