namespace Spike.Actors.Inventory;

/// <param name="MaxItemsPerCall">Upper bound of requests merged into one Lua call.</param>
/// <param name="MaxCallsInFlight">Reserve calls pipelined to Redis at once; batches arriving meanwhile merge into the next.</param>
/// <param name="MinItemsToPipeline">Queued requests needed to start a call while another is in flight; fewer wait and merge.</param>
/// <param name="LeaseIdleTimeout">A lease whose holder sent nothing for this long is reclaimed.</param>
/// <param name="LeaseSweepInterval">How often idle leases are looked for.</param>
/// <param name="RetryLoadAfter">How long an "unknown sale" or a failed load is trusted before Redis is asked again.</param>
/// <param name="UnknownSalePassivation">An actor for a sale that does not exist stops this long after its last message.</param>
/// <param name="StatusRepublishInterval">
/// Pub-sub delivery is at-most-once: the sale's status is published again this often, so a node that
/// missed a back-in-stock does not stay "sold out" while stock remains.
/// </param>
public sealed record InventorySettings(
    int MaxItemsPerCall,
    int MaxCallsInFlight,
    int MinItemsToPipeline,
    TimeSpan LeaseIdleTimeout,
    TimeSpan LeaseSweepInterval,
    TimeSpan RetryLoadAfter,
    TimeSpan UnknownSalePassivation,
    TimeSpan StatusRepublishInterval)
{
    public static readonly InventorySettings Default = new(
        MaxItemsPerCall: 2048,
        MaxCallsInFlight: 4,
        MinItemsToPipeline: 32,
        LeaseIdleTimeout: TimeSpan.FromSeconds(10),
        LeaseSweepInterval: TimeSpan.FromSeconds(1),
        RetryLoadAfter: TimeSpan.FromSeconds(1),
        UnknownSalePassivation: TimeSpan.FromSeconds(5),
        StatusRepublishInterval: TimeSpan.FromSeconds(5));
}
