namespace Spike.Host.Hosting;

/// <summary>Registry key of the inventory shard region (or its proxy on nodes without the role).</summary>
public sealed class InventoryRegion;

/// <summary>Registry key of the node's StockManagerActor.</summary>
public sealed class StockManager;

/// <summary>Registry key of the order shard region (or its proxy on nodes without the inventory role).</summary>
public sealed class OrderRegion;

/// <summary>The order feed, the cluster singleton that turns the sales' order streams into orders (on inventory nodes).</summary>
public sealed class OrderFeed;
