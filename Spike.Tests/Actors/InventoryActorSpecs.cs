using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

public sealed class InventoryActorSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s1";
    private readonly InMemoryInventoryStore _store = new();

    private IActorRef StartInventory(long stock, int limit = 1, InventorySettings? settings = null)
    {
        if (stock >= 0)
        {
            _store.ConfigureSaleAsync(Sale, new SaleSettings(stock, limit, 300)).Wait();
        }
        return Sys.ActorOf(InventoryActor.Props(Sale, _store, Mediator.Ref, settings ?? InventorySettings.Default));
    }

    private TestProbe Mediator => _mediatorProbe ??= CreateTestProbe();
    private TestProbe? _mediatorProbe;

    /// <summary>Every probe plays one StockActor incarnation that has acknowledged nothing yet.</summary>
    private static readonly HolderState Fresh = new(Incarnation: 7, AckedSeq: 0, Allotment: 0);

    private static ReserveBatch Batch(IActorRef replyTo, long id, params string[] users) =>
        new(Sale, id, users.Select(u => new ReserveItem($"r-{u}", u, 1)).ToArray(), replyTo, Fresh);

    private static AcquireLease Lease(IActorRef holder, int wanted, bool starving = true, int needed = 1, HolderState? state = null) =>
        new(Sale, wanted, needed, starving, holder, state ?? Fresh);

    [Fact]
    public void Should_merge_batches_arriving_while_the_store_calls_are_in_flight()
    {
        var inventory = StartInventory(100, settings: InventorySettings.Default with { MaxCallsInFlight = 1 });
        var node = CreateTestProbe();
        _store.HoldCalls();

        inventory.Tell(Batch(node.Ref, 1, "a"));
        AwaitCondition(() => _store.ReserveCalls.Count == 1);
        inventory.Tell(Batch(node.Ref, 2, "b", "c"));
        inventory.Tell(Batch(node.Ref, 3, "d"));
        _store.ReleaseCalls();

        var replies = new[] { node.ExpectMsg<BatchReserved>(), node.ExpectMsg<BatchReserved>(), node.ExpectMsg<BatchReserved>() };
        Assert.Equal([1L, 2L, 3L], replies.Select(r => r.BatchId));
        Assert.Equal([1, 2, 1], replies.Select(r => r.Outcomes.Count));
        Assert.All(replies.SelectMany(r => r.Outcomes), o => Assert.Equal(ReserveStatus.Reserved, o.Status));
        Assert.Equal([1, 3], _store.ReserveCalls.Select(c => c.Count));
    }

    [Fact]
    public void Should_pipeline_up_to_the_limit_of_calls_and_hold_an_admin_command_until_they_drain()
    {
        var inventory = StartInventory(100, settings: InventorySettings.Default with { MaxCallsInFlight = 2, MinItemsToPipeline = 1 });
        var node = CreateTestProbe();
        _store.HoldCalls();

        inventory.Tell(Batch(node.Ref, 1, "a"));
        inventory.Tell(Batch(node.Ref, 2, "b"));
        inventory.Tell(new AddStock(Sale, 1));
        inventory.Tell(Batch(node.Ref, 3, "c"));
        AwaitCondition(() => _store.ReserveCalls.Count == 2);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        _store.ReleaseCalls();

        Assert.Equal(101, ExpectMsg<SaleCommandResult>().Sale!.Total);
        Assert.Equal([1L, 2L, 3L], Enumerable.Range(0, 3).Select(_ => node.ExpectMsg<BatchReserved>().BatchId).Order());
        Assert.Equal(3, _store.ReserveCalls.Count);
        Assert.Equal(3, _store.Snapshot(Sale)!.Held);
    }

    [Fact]
    public void Should_let_a_small_queue_wait_for_the_call_in_flight_and_merge()
    {
        var inventory = StartInventory(100, settings: InventorySettings.Default with { MaxCallsInFlight = 4, MinItemsToPipeline = 3 });
        var node = CreateTestProbe();
        _store.HoldCalls();

        inventory.Tell(Batch(node.Ref, 1, "a"));
        AwaitCondition(() => _store.ReserveCalls.Count == 1);
        inventory.Tell(Batch(node.Ref, 2, "b"));
        inventory.Tell(Batch(node.Ref, 3, "c", "d"));
        AwaitCondition(() => _store.ReserveCalls.Count == 2);
        _store.ReleaseCalls();

        Enumerable.Range(0, 3).ToList().ForEach(_ => node.ExpectMsg<BatchReserved>());
        Assert.Equal([1, 3], _store.ReserveCalls.Select(c => c.Count));
    }

    [Fact]
    public void Should_publish_sold_out_when_the_last_ticket_is_reserved()
    {
        var inventory = StartInventory(2);
        var node = CreateTestProbe();

        inventory.Tell(Batch(node.Ref, 1, "a", "b", "c"));

        var outcomes = node.ExpectMsg<BatchReserved>().Outcomes.Select(o => o.Status);
        Assert.Equal([ReserveStatus.Reserved, ReserveStatus.Reserved, ReserveStatus.SoldOut], outcomes);
        var published = Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: true });
        Assert.Equal(SaleStatusChanged.Topic, published.Topic);
    }

    [Fact]
    public void Should_publish_back_in_stock_when_stock_is_added_after_sell_out()
    {
        var inventory = StartInventory(1);
        var node = CreateTestProbe();
        inventory.Tell(Batch(node.Ref, 1, "a"));
        node.ExpectMsg<BatchReserved>();
        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: true });

        inventory.Tell(new AddStock(Sale, 5));

        var result = ExpectMsg<SaleCommandResult>();
        Assert.Equal(SaleCommandStatus.Updated, result.Status);
        Assert.Equal(5, result.Sale!.Available);
        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: false });
    }

    [Fact]
    public void Should_publish_the_status_again_for_nodes_that_missed_it()
    {
        var inventory = StartInventory(3, settings: InventorySettings.Default with { StatusRepublishInterval = TimeSpan.FromMilliseconds(200) });
        inventory.Tell(Lease(CreateTestProbe().Ref, 1)); // loads the sale

        for (var i = 0; i < 3; i++)
        {
            Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: false }, TimeSpan.FromSeconds(3));
        }
    }

    [Fact]
    public void Should_never_grant_more_allotment_than_there_is_free_stock()
    {
        var inventory = StartInventory(10);
        var nodes = Enumerable.Range(0, 4).Select(_ => CreateTestProbe()).ToArray();

        foreach (var node in nodes)
        {
            inventory.Tell(Lease(node.Ref, 8));
        }

        // The first takes what it wants; while others hold leases a node gets at most half of what is free.
        var granted = nodes.Take(3).Select(n => n.ExpectMsg<LeaseGranted>().Granted).ToArray();
        Assert.Equal([8, 1, 1], granted);
        nodes[3].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_reclaim_the_lease_of_a_node_that_died()
    {
        var inventory = StartInventory(10);
        var doomed = CreateTestProbe();
        var survivor = CreateTestProbe();
        inventory.Tell(Lease(doomed.Ref, 10));
        Assert.Equal(10, doomed.ExpectMsg<LeaseGranted>().Granted);
        inventory.Tell(Lease(survivor.Ref, 10));
        survivor.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Sys.Stop(doomed.Ref);

        Assert.Equal(10, survivor.ExpectMsg<LeaseGranted>().Granted);
    }

    [Fact]
    public void Should_ask_holders_to_release_allotment_when_another_node_waits()
    {
        var inventory = StartInventory(10);
        var idle = CreateTestProbe();
        var busy = CreateTestProbe();
        inventory.Tell(Lease(idle.Ref, 10));
        var grant = idle.ExpectMsg<LeaseGranted>();

        inventory.Tell(Lease(busy.Ref, 10));
        idle.ExpectMsg<ReleaseLease>();
        inventory.Tell(new LeaseReturned(Sale, idle.Ref, Fresh with { AckedSeq = grant.Seq }));

        Assert.Equal(10, busy.ExpectMsg<LeaseGranted>().Granted);
    }

    [Fact]
    public void Should_not_ask_holders_to_release_allotment_for_a_mere_top_up()
    {
        var inventory = StartInventory(10);
        var holder = CreateTestProbe();
        var toppingUp = CreateTestProbe();
        inventory.Tell(Lease(holder.Ref, 10));
        holder.ExpectMsg<LeaseGranted>();

        inventory.Tell(Lease(toppingUp.Ref, 10, starving: false));

        holder.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        toppingUp.ExpectNoMsg(TimeSpan.FromMilliseconds(10));
    }

    [Fact]
    public void Should_ask_a_holder_that_is_only_topping_up_to_release_when_another_node_starves()
    {
        var inventory = StartInventory(10);
        var toppingUp = CreateTestProbe();
        var starving = CreateTestProbe();
        inventory.Tell(Lease(toppingUp.Ref, 10));
        toppingUp.ExpectMsg<LeaseGranted>();
        inventory.Tell(Lease(toppingUp.Ref, 10, starving: false));

        inventory.Tell(Lease(starving.Ref, 10));

        toppingUp.ExpectMsg<ReleaseLease>();
    }

    [Fact]
    public void Should_revoke_a_lease_left_unused_for_the_idle_timeout()
    {
        var settings = InventorySettings.Default with
        {
            LeaseIdleTimeout = TimeSpan.FromMilliseconds(300),
            LeaseSweepInterval = TimeSpan.FromMilliseconds(100),
        };
        var inventory = StartInventory(10, settings: settings);
        var idle = CreateTestProbe();
        inventory.Tell(Lease(idle.Ref, 10));
        idle.ExpectMsg<LeaseGranted>();

        idle.ExpectMsg<LeaseRevoked>(TimeSpan.FromSeconds(3));

        var other = CreateTestProbe();
        inventory.Tell(Lease(other.Ref, 10));
        Assert.Equal(10, other.ExpectMsg<LeaseGranted>().Granted);
    }

    [Fact]
    public void Should_answer_unknown_sale_when_the_store_has_no_such_sale()
    {
        var inventory = StartInventory(stock: -1);
        var node = CreateTestProbe();

        inventory.Tell(Lease(node.Ref, 10));
        node.ExpectMsg<SaleUnknown>();
        inventory.Tell(Batch(node.Ref, 1, "a"));

        Assert.Equal(ReserveStatus.UnknownSale, Assert.Single(node.ExpectMsg<BatchReserved>().Outcomes).Status);
    }

    [Fact]
    public void Should_fail_closed_when_the_store_is_down()
    {
        _store.Failing = true;
        var inventory = StartInventory(stock: -1);
        var node = CreateTestProbe();

        inventory.Tell(Lease(node.Ref, 10));
        node.ExpectMsg<LeaseUnavailable>();
        inventory.Tell(Batch(node.Ref, 1, "a", "b"));

        Assert.All(node.ExpectMsg<BatchReserved>().Outcomes, o => Assert.Equal(ReserveStatus.Unavailable, o.Status));
    }

    [Fact]
    public void Should_refuse_a_total_below_what_is_held()
    {
        var inventory = StartInventory(5);
        var node = CreateTestProbe();
        inventory.Tell(Batch(node.Ref, 1, "a", "b", "c"));
        node.ExpectMsg<BatchReserved>();

        inventory.Tell(new ConfigureSale(Sale, new SaleSettings(2, 1, 300)));

        var result = ExpectMsg<SaleCommandResult>();
        Assert.Equal(SaleCommandStatus.Conflict, result.Status);
        Assert.Equal(5, _store.Snapshot(Sale)!.Total);
    }

    [Fact]
    public void Should_answer_at_once_when_fewer_are_left_than_the_first_waiting_buyer_asks_for()
    {
        var inventory = StartInventory(3, limit: 4);
        var node = CreateTestProbe();

        inventory.Tell(Lease(node.Ref, 100, needed: 4));

        var answer = node.ExpectMsg<LeaseGranted>();
        Assert.Equal((0, 3L, false), (answer.Granted, answer.Available, answer.SoldOut));
    }

    [Fact]
    public void Should_ask_starving_holders_too_to_release_when_each_holds_too_few_for_its_buyer()
    {
        var inventory = StartInventory(2, limit: 2);
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        inventory.Tell(Lease(a.Ref, 1, starving: false));
        var grantA = a.ExpectMsg<LeaseGranted>();
        inventory.Tell(Lease(b.Ref, 1, starving: false));
        var grantB = b.ExpectMsg<LeaseGranted>();
        Assert.Equal((1, 1), (grantA.Granted, grantB.Granted));

        // Both now have a buyer of 2 and hold 1: both are asked to release (the gathering itself is
        // checked with real StockActors in LeaseFlowSpecs).
        inventory.Tell(Lease(a.Ref, 2, needed: 2, state: Fresh with { AckedSeq = grantA.Seq, Allotment = 1 }));
        inventory.Tell(Lease(b.Ref, 2, needed: 2, state: Fresh with { AckedSeq = grantB.Seq, Allotment = 1 }));

        a.FishForMessage<ReleaseLease>(_ => true);
        b.FishForMessage<ReleaseLease>(_ => true);
    }

    [Fact]
    public void Should_not_run_a_request_whose_buyer_stopped_waiting_and_give_its_ticket_back()
    {
        var inventory = StartInventory(10);
        var node = CreateTestProbe();
        var expired = new ReserveItem("r-late", "late", 1, DeadlineUnixMs: DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds());
        var live = new ReserveItem("r-live", "live", 1, DeadlineUnixMs: DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());

        inventory.Tell(new ReserveBatch(Sale, 1, [expired, live], node.Ref, Fresh));

        var answer = node.ExpectMsg<BatchReserved>();
        Assert.Equal([ReserveStatus.Unavailable, ReserveStatus.Reserved], answer.Outcomes.Select(o => o.Status));
        Assert.Equal(["live"], _store.ReserveCalls.SelectMany(c => c).Select(i => i.UserId));
        Assert.Equal(1, _store.Snapshot(Sale)!.Held);
    }

    [Fact]
    public void Should_passivate_soon_after_answering_for_a_sale_that_does_not_exist()
    {
        var shard = CreateTestProbe();
        var settings = InventorySettings.Default with
        {
            UnknownSalePassivation = TimeSpan.FromMilliseconds(300),
            LeaseSweepInterval = TimeSpan.FromMilliseconds(50),
            StatusRepublishInterval = TimeSpan.FromMilliseconds(50),
        };
        var inventory = shard.ChildActorOf(InventoryActor.Props(Sale, _store, Mediator.Ref, settings));
        var node = CreateTestProbe();

        inventory.Tell(Lease(node.Ref, 10));
        node.ExpectMsg<SaleUnknown>();

        // Its own timers tick far more often than the passivation timeout, and must not keep it alive.
        shard.ExpectMsg<Passivate>(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Should_publish_the_new_per_user_limit_at_once_when_the_sale_is_reconfigured()
    {
        var inventory = StartInventory(10, limit: 1);
        inventory.Tell(Lease(CreateTestProbe().Ref, 1));
        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { PerUserLimit: 1 });

        inventory.Tell(new ConfigureSale(Sale, new SaleSettings(10, 3, 300)));

        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { PerUserLimit: 3, SoldOut: false });
    }

    [Fact]
    public async Task Should_grant_a_lease_with_the_schedule_the_store_holds()
    {
        var schedule = new SaleSchedule(1_800_000_000_000, 1_800_000_060_000);
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300, schedule));
        var inventory = StartInventory(-1);
        var node = CreateTestProbe();

        inventory.Tell(Lease(node.Ref, 4));

        Assert.Equal(schedule, node.ExpectMsg<LeaseGranted>().Schedule);
    }

    [Fact]
    public void Should_publish_the_new_schedule_at_once_when_the_sale_is_rescheduled()
    {
        var inventory = StartInventory(10);
        inventory.Tell(Lease(CreateTestProbe().Ref, 1));
        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { Schedule.HasTimes: false });
        var closing = new SaleSchedule(null, 1_800_000_060_000);

        inventory.Tell(new ConfigureSale(Sale, new SaleSettings(10, 1, 300, closing)));

        Mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged status && status.Schedule == closing);
    }

    [Fact]
    public async Task Should_announce_the_deletion_and_treat_the_sale_as_unknown_when_a_closed_sale_is_deleted()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300, new SaleSchedule(null, 1)));
        var inventory = StartInventory(-1);

        inventory.Tell(new DeleteSale(Sale));

        Assert.Equal(SaleCommandStatus.Deleted, ExpectMsg<SaleCommandResult>().Status);
        var published = Mediator.FishForMessage<Publish>(p => p.Message is SaleDeleted);
        Assert.Equal(SaleStatusChanged.Topic, published.Topic);
        var node = CreateTestProbe();
        inventory.Tell(Lease(node.Ref, 1));
        node.ExpectMsg<SaleUnknown>();
    }

    [Fact]
    public async Task Should_refuse_to_delete_a_sale_that_still_sells_and_keep_selling_it()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300));
        var inventory = StartInventory(-1);

        inventory.Tell(new DeleteSale(Sale));

        Assert.Equal(SaleCommandStatus.StillSelling, ExpectMsg<SaleCommandResult>().Status);
        var node = CreateTestProbe();
        inventory.Tell(Lease(node.Ref, 1));
        Assert.Equal(1, node.ExpectMsg<LeaseGranted>().Granted);
    }

    [Fact]
    public void Should_ask_a_holder_to_release_once_until_it_answers()
    {
        var inventory = StartInventory(10);
        var holder = CreateTestProbe();
        inventory.Tell(Lease(holder.Ref, 10));
        var grant = holder.ExpectMsg<LeaseGranted>();
        var starving = CreateTestProbe();

        inventory.Tell(Lease(starving.Ref, 10));
        inventory.Tell(Lease(starving.Ref, 10)); // asked again (its request timed out): no second release request
        holder.ExpectMsg<ReleaseLease>();
        holder.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        inventory.Tell(new LeaseReturned(Sale, holder.Ref, Fresh with { AckedSeq = grant.Seq, Allotment = 10 }));
        holder.ExpectMsg<ReleaseLease>(); // it kept everything: asked again once it answered
    }
}
