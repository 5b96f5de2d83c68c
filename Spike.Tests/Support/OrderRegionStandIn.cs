using Akka.Actor;
using Akka.Cluster.Sharding;
using Spike.Actors.Orders;

namespace Spike.Tests.Support;

/// <summary>
/// What the order shard region does, for tests without a cluster: one OrderActor per order id, stopped when it asks to
/// passivate. The first CreateOrder of an id in <c>loseFirstCreate</c> is lost (as a message to a dying node would be).
/// </summary>
public sealed class OrderRegionStandIn : ReceiveActor
{
    public OrderRegionStandIn(Func<string, Props> order, HashSet<string> loseFirstCreate)
    {
        Receive<IOrderCommand>(command =>
        {
            if (command is CreateOrder && loseFirstCreate.Remove(command.OrderId))
            {
                return;
            }
            var child = Context.Child(command.OrderId);
            (child.IsNobody() ? Context.ActorOf(order(command.OrderId), command.OrderId) : child).Forward(command);
        });
        Receive<Passivate>(_ => Context.Stop(Sender));
    }
}
