using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Orders;

/// <summary>The OrderActor's logic on the in-memory journal, against an in-memory order store.</summary>
public sealed class OrderActorSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s";
    private readonly InMemoryOrderStore _store = new();

    private static readonly OrderSettings Settings = OrderSettings.Default with { RetryAfter = TimeSpan.FromMilliseconds(200) };

    private static long InMs(TimeSpan delay) => DateTimeOffset.UtcNow.Add(delay).ToUnixTimeMilliseconds();

    /// <summary>A reservation in the store, with a deadline far away unless told otherwise.</summary>
    private OrderCreated Reserved(string orderId, TimeSpan? payIn = null)
    {
        var reservation = new OrderCreated(orderId, Sale, "u", 2, InMs(payIn ?? TimeSpan.FromMinutes(5)));
        _store.Reserve(reservation);
        return reservation;
    }

    private IActorRef Start(string orderId) => Sys.ActorOf(OrderActor.Props(orderId, _store, Inventory.Ref, Settings));

    private TestProbe Inventory => _inventoryProbe ??= CreateTestProbe();
    private TestProbe? _inventoryProbe;

    private OrderReply Ask(IActorRef order, IOrderCommand command)
    {
        order.Tell(command, TestActor);
        return ExpectMsg<OrderReply>();
    }

    private void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
    }

    [Fact]
    public void Should_create_the_order_from_the_reservation_when_first_touched()
    {
        var reservation = Reserved("s-1");

        var reply = Ask(Start("s-1"), new GetOrder("s-1"));

        Assert.Equal(OrderReplyStatus.Ok, reply.Status);
        Assert.Equal(new OrderView("s-1", Sale, "u", 2, reservation.PayByUnixMs, OrderState.Reserved), reply.Order);
    }

    [Fact]
    public void Should_answer_unknown_order_when_no_reservation_has_the_id()
    {
        var reply = Ask(Start("s-404"), new PayOrder("s-404"));

        Assert.Equal(new OrderReply("s-404", OrderReplyStatus.UnknownOrder, null), reply);
    }

    [Fact]
    public void Should_recover_the_paid_order_from_its_journal_when_a_new_incarnation_starts()
    {
        Reserved("s-2");
        var first = Start("s-2");
        Assert.Equal(OrderState.Paid, Ask(first, new PayOrder("s-2")).Order!.State);
        Assert.Equal(OrderReplyStatus.Ok, Ask(first, new PayOrder("s-2")).Status);
        StopAndWait(first);

        var reply = Ask(Start("s-2"), new CancelOrder("s-2"));

        Assert.Equal(OrderReplyStatus.AlreadyPaid, reply.Status);
        Assert.Equal(1, _store.Gets); // the second incarnation read its journal, not the store
        Assert.Equal(OrderState.Paid, _store.StateOf("s-2"));
        Inventory.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_release_the_tickets_and_tell_the_inventory_when_cancelled()
    {
        Reserved("s-3");

        var reply = Ask(Start("s-3"), new CancelOrder("s-3"));

        Assert.Equal((OrderReplyStatus.Ok, OrderState.Cancelled), (reply.Status, reply.Order!.State));
        Assert.Equal(OrderState.Cancelled, _store.StateOf("s-3"));
        Inventory.ExpectMsg(new StockReleased(Sale));
    }

    [Fact]
    public void Should_expire_on_its_own_and_tell_the_inventory_when_the_deadline_passes_unpaid()
    {
        Reserved("s-4", payIn: TimeSpan.FromMilliseconds(500));
        var order = Start("s-4");
        Ask(order, new GetOrder("s-4"));

        Inventory.ExpectMsg(new StockReleased(Sale), TimeSpan.FromSeconds(5));

        Assert.Equal(OrderState.Expired, _store.StateOf("s-4"));
        Assert.Equal(OrderReplyStatus.AlreadyExpired, Ask(order, new PayOrder("s-4")).Status);
    }

    [Fact]
    public void Should_refuse_the_payment_and_record_the_expiry_when_the_store_expired_the_order_first()
    {
        Reserved("s-5");
        var order = Start("s-5");
        Ask(order, new GetOrder("s-5"));
        _store.SettleDirectly("s-5", OrderState.Expired);

        var reply = Ask(order, new PayOrder("s-5"));

        Assert.Equal((OrderReplyStatus.AlreadyExpired, OrderState.Expired), (reply.Status, reply.Order!.State));
        Inventory.ExpectMsg(new StockReleased(Sale));
    }

    [Fact]
    public void Should_answer_paid_when_the_store_paid_the_order_before_the_deadline_timer_fired()
    {
        Reserved("s-6", payIn: TimeSpan.FromMilliseconds(300));
        var order = Start("s-6");
        Ask(order, new GetOrder("s-6"));
        _store.SettleDirectly("s-6", OrderState.Paid);

        AwaitAssert(() => Assert.Equal(OrderState.Paid, Ask(order, new GetOrder("s-6")).Order!.State), TimeSpan.FromSeconds(5));

        Inventory.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Should_record_the_settled_state_when_first_touched_after_the_store_settled_it()
    {
        Reserved("s-7");
        _store.SettleDirectly("s-7", OrderState.Cancelled);

        var reply = Ask(Start("s-7"), new PayOrder("s-7"));

        Assert.Equal(OrderReplyStatus.AlreadyCancelled, reply.Status);
    }

    [Fact]
    public void Should_answer_unavailable_and_retry_the_expiry_when_the_store_is_down_at_the_deadline()
    {
        Reserved("s-8", payIn: TimeSpan.FromMilliseconds(300));
        var order = Start("s-8");
        Ask(order, new GetOrder("s-8"));
        _store.Down = true;
        Assert.Equal(OrderReplyStatus.Unavailable, Ask(order, new CancelOrder("s-8")).Status);

        _store.Down = false;

        Inventory.ExpectMsg(new StockReleased(Sale), TimeSpan.FromSeconds(5));
        Assert.Equal(OrderState.Expired, _store.StateOf("s-8"));
    }

    [Fact]
    public void Should_expire_on_time_when_recovered_without_being_touched()
    {
        Reserved("s-9", payIn: TimeSpan.FromSeconds(1));
        var first = Start("s-9");
        Ask(first, new GetOrder("s-9"));
        StopAndWait(first);

        Start("s-9");

        Inventory.ExpectMsg(new StockReleased(Sale), TimeSpan.FromSeconds(5));
        Assert.Equal(OrderState.Expired, _store.StateOf("s-9"));
    }

    [Fact]
    public void Should_ask_to_be_passivated_when_settled_and_idle()
    {
        Reserved("s-10");
        var shard = CreateTestProbe();
        var order = StartUnderShard("s-10", shard);

        order.Tell(new PayOrder("s-10"), TestActor);
        ExpectMsg<OrderReply>();

        shard.ExpectMsg<Passivate>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Should_ask_to_be_passivated_when_open_and_idle_since_the_order_feed_wakes_it_at_its_deadline()
    {
        Reserved("s-11");
        var shard = CreateTestProbe();
        var order = StartUnderShard("s-11", shard);

        order.Tell(new GetOrder("s-11"), TestActor);

        Assert.Equal(OrderState.Reserved, ExpectMsg<OrderReply>().Order!.State);
        shard.ExpectMsg<Passivate>(TimeSpan.FromSeconds(3));
    }

    /// <summary>The order as a child of a stand-in for its shard, which reports the order's Passivate to <paramref name="shard"/>.</summary>
    private IActorRef StartUnderShard(string orderId, TestProbe shard)
    {
        var props = OrderActor.Props(orderId, _store, Inventory.Ref, Settings with { PassivateAfter = TimeSpan.FromMilliseconds(200) });
        return Sys.ActorOf(Props.Create(() => new ShardStandIn(props, shard.Ref)));
    }

    private sealed class ShardStandIn : ReceiveActor
    {
        public ShardStandIn(Props order, IActorRef shard)
        {
            var child = Context.ActorOf(order, "order");
            Receive<Passivate>(shard.Tell);
            ReceiveAny(child.Forward);
        }
    }
}
