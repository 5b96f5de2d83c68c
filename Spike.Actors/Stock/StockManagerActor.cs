using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// The node's parent of StockActors: one child per sale, created on its first buyer. An idle child is
/// stopped through a hand-shake, so that no buyer is sent to a child that is stopping: buyers that
/// arrive meanwhile wait here and go to its successor (or to the child itself, if it stays).
/// </summary>
public sealed class StockManagerActor : ReceiveActor
{
    public static Props Props(IActorRef inventory, IInventoryStore store, StockSettings settings, SaleBoard board) =>
        Akka.Actor.Props.Create(() => new StockManagerActor(inventory, store, settings, board));

    /// <summary>A child saw nothing for its idle timeout.</summary>
    internal sealed record ChildIdle(string SaleId);

    /// <summary>To the idle child, queued behind every buyer already sent to it: stop if still idle.</summary>
    internal sealed class StopIfIdle
    {
        public static readonly StopIfIdle Instance = new();
    }

    /// <summary>The child got buyers after all and stays.</summary>
    internal sealed record StayingAlive(string SaleId);

    private readonly Dictionary<string, List<Buy>> _stopping = [];

    public StockManagerActor(IActorRef inventory, IInventoryStore store, StockSettings settings, SaleBoard board)
    {
        Receive<Buy>(buy =>
        {
            if (_stopping.TryGetValue(buy.SaleId, out var held))
            {
                held.Add(buy);
                return;
            }
            if (!ActorPath.IsValidPathElement(buy.SaleId))
            {
                // No sale can have this id; creating its child would throw and restart this actor, stopping every sale's StockActor.
                buy.Completion.TrySetResult(ItemOutcome.UnknownSale);
                return;
            }
            var child = Context.Child(buy.SaleId);
            if (child.IsNobody())
            {
                child = Context.ActorOf(StockActor.Props(buy.SaleId, inventory, store, settings, board), buy.SaleId);
            }
            child.Forward(buy);
        });
        Receive<ChildIdle>(idle =>
        {
            if (_stopping.TryAdd(idle.SaleId, []))
            {
                Context.Watch(Sender);
                Sender.Tell(StopIfIdle.Instance);
            }
        });
        Receive<StayingAlive>(staying =>
        {
            Context.Unwatch(Sender);
            if (_stopping.Remove(staying.SaleId, out var held))
            {
                held.ForEach(buy => Sender.Tell(buy));
            }
        });
        Receive<Terminated>(terminated =>
        {
            var saleId = terminated.ActorRef.Path.Name;
            if (_stopping.Remove(saleId, out var held) && held.Count > 0)
            {
                var successor = Context.ActorOf(StockActor.Props(saleId, inventory, store, settings, board), saleId);
                held.ForEach(buy => successor.Tell(buy));
            }
        });
        Receive<SaleStatusChanged>(status =>
        {
            // The sale exists (it may just have been created): stop answering "unknown" for it. A node
            // that has no StockActor for the sale yet learns its state with its first lease.
            board.ForgetUnknown(status.SaleId);
            var child = Context.Child(status.SaleId);
            if (!child.IsNobody())
            {
                child.Forward(status);
            }
        });
        Receive<SaleDeleted>(deleted =>
        {
            var child = Context.Child(deleted.SaleId);
            if (!child.IsNobody())
            {
                child.Forward(deleted);
            }
        });
        Receive<SubscribeAck>(_ => { });
    }

    /// <summary>
    /// A StockActor that throws is stopped, not restarted: its PostStop tells its waiting buyers to retry,
    /// and the sale's next buyer gets a fresh one. Its siblings and this actor carry on.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
