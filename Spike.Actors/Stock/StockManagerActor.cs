using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>The node's parent of StockActors: one child per sale, created on its first buyer.</summary>
public sealed class StockManagerActor : ReceiveActor
{
    public static Props Props(IActorRef inventory, StockSettings settings, SoldOutBoard board) =>
        Akka.Actor.Props.Create(() => new StockManagerActor(inventory, settings, board));

    public StockManagerActor(IActorRef inventory, StockSettings settings, SoldOutBoard board)
    {
        Receive<Buy>(buy =>
        {
            var child = Context.Child(buy.SaleId);
            if (child.IsNobody())
            {
                child = Context.ActorOf(StockActor.Props(buy.SaleId, inventory, settings, board), buy.SaleId);
            }
            child.Forward(buy);
        });
        Receive<SaleStatusChanged>(status =>
        {
            // A node that has no StockActor for the sale yet learns its state with its first lease.
            var child = Context.Child(status.SaleId);
            if (!child.IsNobody())
            {
                child.Forward(status);
            }
        });
        Receive<SubscribeAck>(_ => { });
    }
}
