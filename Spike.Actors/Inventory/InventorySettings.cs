namespace Spike.Actors.Inventory;

/// <param name="MaxItemsPerCall">Upper bound of requests merged into one Lua call.</param>
/// <param name="LeaseIdleTimeout">A lease whose holder sent nothing for this long is reclaimed.</param>
/// <param name="LeaseSweepInterval">How often idle leases are looked for.</param>
/// <param name="RetryLoadAfter">How long an "unknown sale" or a failed load is trusted before Redis is asked again.</param>
public sealed record InventorySettings(
    int MaxItemsPerCall,
    TimeSpan LeaseIdleTimeout,
    TimeSpan LeaseSweepInterval,
    TimeSpan RetryLoadAfter)
{
    public static readonly InventorySettings Default = new(
        MaxItemsPerCall: 2048,
        LeaseIdleTimeout: TimeSpan.FromSeconds(10),
        LeaseSweepInterval: TimeSpan.FromSeconds(1),
        RetryLoadAfter: TimeSpan.FromSeconds(1));
}
