namespace Spike.Host.Hosting;

/// <summary>Registry key of the inventory shard region (or its proxy on nodes without the role).</summary>
public sealed class InventoryRegion;

/// <summary>Registry key of the node's StockManagerActor.</summary>
public sealed class StockManager;
