using Akka.Cluster.Sharding;
using Spike.Actors.Orders;

namespace Spike.Host.Hosting;

/// <summary>Routes every <see cref="IOrderMessage"/> to its order's OrderActor.</summary>
public sealed class OrderMessageExtractor(int maxNumberOfShards) : HashCodeMessageExtractor(maxNumberOfShards)
{
    public override string? EntityId(object message) => (message as IOrderMessage)?.OrderId;
}
