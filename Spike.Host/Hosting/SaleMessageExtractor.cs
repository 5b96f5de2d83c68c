using Akka.Cluster.Sharding;
using Spike.Actors;

namespace Spike.Host.Hosting;

/// <summary>Routes every <see cref="ISaleMessage"/> to the sale's InventoryActor.</summary>
public sealed class SaleMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => (message as ISaleMessage)?.SaleId;
}
