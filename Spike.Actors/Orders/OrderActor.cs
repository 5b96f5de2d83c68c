using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Spike.Actors.Inventory;

namespace Spike.Actors.Orders;

/// <summary>
/// One order (a reservation) in the whole cluster, sharded by order id and event-sourced. It is created by the order
/// feed, or from the reservation in the store on its first message, arms a timer for its payment deadline (again after
/// every recovery: timers are not persisted; the feed also expires it at its deadline when it is not running), and
/// settles payments, cancellations and expiries in the store before it records them,
/// so its journal only ever holds what the store decided. After its tickets go back, the sale's InventoryActor is
/// told to read the sale again.
/// </summary>
public sealed class OrderActor : ReceivePersistentActor, IWithTimers
{
    public static Props Props(string orderId, IOrderStore store, IActorRef inventory, OrderSettings settings) =>
        Akka.Actor.Props.Create(() => new OrderActor(orderId, store, inventory, settings));

    public const string PersistenceIdPrefix = "order-";

    private sealed record Loaded(StoredOrder? Stored, IOrderCommand Command, IActorRef ReplyTo);

    private sealed record Settled(OrderState? State, IOrderCommand Command, IActorRef ReplyTo);

    private sealed record StoreFailed(Exception Cause, IOrderCommand Command, IActorRef ReplyTo);

    private sealed class DeadlineReached
    {
        public static readonly DeadlineReached Instance = new();
    }

    private readonly string _orderId;
    private readonly IOrderStore _store;
    private readonly IActorRef _inventory;
    private readonly OrderSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Order _order = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId { get; }

    /// <summary>An order never saves a snapshot, so recovery skips the snapshot store: one Redis call less per recovery.</summary>
    public override Recovery Recovery { get; } = new(SnapshotSelectionCriteria.None);

    public OrderActor(string orderId, IOrderStore store, IActorRef inventory, OrderSettings settings)
    {
        _orderId = orderId;
        _store = store;
        _inventory = inventory;
        _settings = settings;
        PersistenceId = PersistenceIdPrefix + orderId;

        Recover<IOrderEvent>(_order.Apply);
        Ready();
    }

    protected override void OnReplaySuccess()
    {
        ArmDeadline(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        PassivateWhenIdle();
    }

    private void Ready()
    {
        Command<IOrderCommand>(command => Handle(command, Sender));
        Command<DeadlineReached>(_ => Handle(new ExpireOrder(_orderId), ActorRefs.Nobody));
        Command<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
    }

    /// <summary>Waiting for the store: every other message waits until it has answered.</summary>
    private void WaitingForStore()
    {
        Command<Loaded>(OnLoaded);
        Command<Settled>(OnSettled);
        Command<StoreFailed>(failed =>
        {
            _log.Warning("Order {OrderId}: the store failed ({Reason}); {Command} answered unavailable", _orderId, failed.Cause.Message, failed.Command.GetType().Name);
            failed.ReplyTo.Tell(new OrderReply(_orderId, OrderReplyStatus.Unavailable, null));
            if (_order.IsOpen)
            {
                // A deadline that could not be settled is tried again.
                ArmDeadline(DateTimeOffset.UtcNow.Add(_settings.RetryAfter).ToUnixTimeMilliseconds());
            }
            BackToReady();
        });
        CommandAny(_ => Stash.Stash());
    }

    private void BackToReady()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Handle(IOrderCommand command, IActorRef replyTo)
    {
        if (!_order.IsCreated && command is not CreateOrder)
        {
            // First touch: the reservation in the store is the order.
            Become(WaitingForStore);
            _store.GetAsync(_orderId).PipeTo(Self,
                success: stored => new Loaded(stored, command, replyTo),
                failure: cause => new StoreFailed(cause, command, replyTo));
            return;
        }

        var decision = _order.Decide(command, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        switch (decision.Event)
        {
            case null:
                replyTo.Tell(decision.Reply);
                break;
            case OrderCreated created:
                Persist(created, _ =>
                {
                    Record(created);
                    CountReached(OrderState.Reserved);
                    replyTo.Tell(decision.Reply);
                });
                break;
            case var settling:
                // The store decides between a payment and the deadline; this actor records what it decided.
                Become(WaitingForStore);
                _store.SettleAsync(_orderId, Order.StateAfter(settling)).PipeTo(Self,
                    success: state => new Settled(state, command, replyTo),
                    failure: cause => new StoreFailed(cause, command, replyTo));
                break;
        }
    }

    private void OnLoaded(Loaded loaded)
    {
        if (loaded.Stored is not { } stored)
        {
            loaded.ReplyTo.Tell(new OrderReply(_orderId, OrderReplyStatus.UnknownOrder, null));
            PassivateWhenIdle();
            BackToReady();
            return;
        }
        // Settled in the store already (say by an earlier incarnation whose journal write was lost): record it too.
        var events = stored.State == OrderState.Reserved
            ? new IOrderEvent[] { stored.Reservation }
            : [stored.Reservation, Order.EventFor(_orderId, stored.State)];
        PersistAll(events, Record);
        DeferAsync(loaded, _ =>
        {
            BackToReady();
            Handle(loaded.Command, loaded.ReplyTo);
        });
    }

    private void OnSettled(Settled settled)
    {
        if (settled.State is not { } state)
        {
            // The reservation vanished from the store under an existing order: nothing to record.
            _log.Error("Order {OrderId}: its reservation is gone from the store", _orderId);
            settled.ReplyTo.Tell(new OrderReply(_orderId, OrderReplyStatus.Unavailable, null));
            BackToReady();
            return;
        }
        Persist(Order.EventFor(_orderId, state), settling =>
        {
            Record(settling);
            CountReached(state);
            if (state is OrderState.Cancelled or OrderState.Expired)
            {
                _inventory.Tell(new StockReleased(_order.View!.SaleId));
            }
            // Answered as the order now is: a payment that lost to the deadline is refused.
            settled.ReplyTo.Tell(_order.Decide(settled.Command, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Reply);
            BackToReady();
        });
    }

    private void Record(IOrderEvent orderEvent)
    {
        _order.Apply(orderEvent);
        ArmDeadline(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        PassivateWhenIdle();
    }

    private static void CountReached(OrderState state) =>
        SpikeMetrics.Orders.Add(1, new KeyValuePair<string, object?>(SpikeMetrics.StateTag, SpikeMetrics.StateName(state)));

    /// <summary>An open order expires at its deadline, or at <paramref name="notBeforeUnixMs"/> if that is later.</summary>
    private void ArmDeadline(long notBeforeUnixMs)
    {
        if (_order.View is not { State: OrderState.Reserved } open)
        {
            Timers.Cancel(nameof(DeadlineReached));
            return;
        }
        var due = Math.Max(open.PayByUnixMs, notBeforeUnixMs) - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Timers.StartSingleTimer(nameof(DeadlineReached), DeadlineReached.Instance, TimeSpan.FromMilliseconds(Math.Max(0, due)));
    }

    /// <summary>Every order stops when idle; an open one is woken at its deadline by the order feed.</summary>
    private void PassivateWhenIdle() => SetReceiveTimeout(_settings.PassivateAfter);
}
