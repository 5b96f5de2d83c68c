using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Orders;

/// <summary>The order feed on a real Redis, creating real OrderActors (in-memory journal) behind a stand-in for their shard region.</summary>
[Collection(RedisCollection.Name)]
public sealed class OrderFeedActorSpecs(RedisServerFixture redis, ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly OrderFeedSettings FeedSettings = OrderFeedSettings.Default with
    {
        BatchSize = 128,
        PollInterval = TimeSpan.FromMilliseconds(100),
        ListSalesEvery = TimeSpan.FromMilliseconds(100),
        OrderTimeout = TimeSpan.FromSeconds(1),
        LagEvery = TimeSpan.FromMilliseconds(100),
    };

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly RedisInventoryStore _inventory = new(redis.Connection);
    private readonly RedisOrderStore _orders = new(redis.Connection);
    private readonly RedisOrderStream _stream = new(redis.Connection);
    private TestProbe? _inventoryProbe;

    /// <summary>Order ids whose first CreateOrder the region loses (as a message to a dying node would be).</summary>
    private readonly HashSet<string> _loseFirstCreate = [];

    /// <summary>The sales' InventoryActors, told when an order gave its tickets back.</summary>
    private TestProbe InventoryActor => _inventoryProbe ??= CreateTestProbe();

    [Fact]
    public async Task Should_create_the_order_of_every_reservation_and_leave_no_entry_pending()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 300, windowSeconds: 600);
        var region = StartRegion(OrderSettings.Default);

        StartFeed(sale, region);

        await OrdersCreatedAsync(sale, 300);
        Assert.Equal(0, (await _stream.ProgressAsync(sale))!.Lag);
        Assert.Empty(await _stream.ReadAsync(sale, count: 10));
        Assert.Equal(300, (await _stream.DueAsync(sale, long.MaxValue, count: 1000)).Count);
        var order = await region.Ask<OrderReply>(new GetOrder(orderIds[299]), TimeSpan.FromSeconds(5));
        Assert.Equal(("u299", OrderState.Reserved), (order.Order!.UserId, order.Order.State));
    }

    [Fact]
    public async Task Should_ask_at_most_its_in_flight_limit_of_creations_at_once_when_a_batch_holds_more()
    {
        // arrange: a region that never answers, so every ask the feed sends stays in flight
        var (sale, _) = await SaleWithReservationsAsync(buyers: OrderFeedActor.MaxAsksInFlight * 3, windowSeconds: 600);
        var region = CreateTestProbe();

        var settings = FeedSettings with { OrderTimeout = TimeSpan.FromSeconds(30) };

        // act
        Sys.ActorOf(OrderFeedActor.Props(new OnlySales(_stream, sale), region.Ref, settings));

        // assert: the limit's worth of creations, then none while their asks wait
        for (var i = 0; i < OrderFeedActor.MaxAsksInFlight; i++)
        {
            region.ExpectMsg<CreateOrder>(Patience);
        }
        region.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Should_create_one_batch_of_orders_a_round_over_all_sales_while_a_sale_sells()
    {
        // arrange: two sales with orders to create, both selling (a window longer than the test), rounds 3 s apart,
        // and a region that creates every order at once
        var (first, _) = await SaleWithReservationsAsync(buyers: 5, windowSeconds: 600);
        var (second, _) = await SaleWithReservationsAsync(buyers: 5, windowSeconds: 600);
        var region = CreateTestProbe();
        region.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            sender.Tell(new OrderReply(((CreateOrder)message).OrderId, OrderReplyStatus.Ok, null));
            return AutoPilot.KeepRunning;
        }));
        var settings = FeedSettings with { SellingWindow = TimeSpan.FromHours(1), PollInterval = TimeSpan.FromSeconds(3) };

        // act
        Sys.ActorOf(OrderFeedActor.Props(new OnlySales(_stream, first, second), region.Ref, settings));

        // assert: one sale's orders in a round; the other sale's only in a later round, a poll interval on
        var oneRound = Enumerable.Range(0, 5).Select(_ => region.ExpectMsg<CreateOrder>(Patience).SaleId).ToList();
        region.ExpectNoMsg(TimeSpan.FromSeconds(1));
        var aLaterRound = Enumerable.Range(0, 5).Select(_ => region.ExpectMsg<CreateOrder>(Patience).SaleId).ToList();
        Assert.Single(oneRound.Distinct());
        Assert.Single(aLaterRound.Distinct());
        Assert.Equal(new[] { first, second }.Order(), new[] { oneRound[0], aLaterRound[0] }.Order());
    }

    [Fact]
    public async Task Should_create_an_order_in_a_later_round_when_its_creation_got_no_answer()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 3, windowSeconds: 600);
        _loseFirstCreate.Add(orderIds[1]);
        var region = StartRegion(OrderSettings.Default);

        StartFeed(sale, region);

        await OrdersCreatedAsync(sale, 3);
        var order = await region.Ask<OrderReply>(new GetOrder(orderIds[1]), TimeSpan.FromSeconds(5));
        Assert.Equal(OrderState.Reserved, order.Order!.State);
        Assert.Empty(_loseFirstCreate);
    }

    [Fact]
    public async Task Should_expire_an_unpaid_order_at_its_deadline_when_its_actor_is_no_longer_running()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 1, windowSeconds: 2);
        // The order stops right after it is created, and its deadline timer with it.
        var region = StartRegion(OrderSettings.Default with { PassivateAfter = TimeSpan.FromMilliseconds(100) });

        StartFeed(sale, region);

        InventoryActor.ExpectMsg(new StockReleased(sale), Patience);
        Assert.Equal(SaleKeys.ExpiredState, (string?)await redis.Database.HashGetAsync(SaleKeys.OrderStates(sale), orderIds[0]));
        Assert.Empty(await _stream.DueAsync(sale, long.MaxValue, count: 10));
        Assert.Equal(1, (long)await redis.Database.HashGetAsync(SaleKeys.Meta(sale), SaleKeys.AvailableField));
        (await SaleAudit.ReadAsync(redis.Database, sale)).AssertConsistent();
    }

    [Fact]
    public async Task Should_create_the_orders_of_a_sale_that_sells_again_when_its_visits_had_slowed_down()
    {
        var (sale, _) = await ReservedSale.CreateAsync(_inventory, "feed-", stock: 3, buyers: 2);
        var region = StartRegion(OrderSettings.Default);
        var stream = new OnlySales(_stream, sale);
        Sys.ActorOf(OrderFeedActor.Props(stream, region, FeedSettings));
        await OrdersCreatedAsync(sale, 2);
        // Enough empty visits that the feed visits the sale only every quiet interval.
        var readsSoFar = stream.Reads;
        await Poll.UntilAsync(() => Task.FromResult(stream.Reads >= readsSoFar + 4), Patience, "the feed stopped visiting the sale");

        var more = await _inventory.ReserveAsync(sale, [new ReserveItem("r-again", "u-again", 1)]);

        Assert.Equal(ReserveStatus.Reserved, more.Outcomes[0].Status);
        await OrdersCreatedAsync(sale, 3);
        Assert.Equal(0, (await _stream.ProgressAsync(sale))!.Lag);
    }

    [Fact]
    public async Task Should_report_every_reservation_as_feed_lag_when_no_order_answers_its_creation()
    {
        // arrange: 3 reservations, and an order region that loses every message
        var (sale, _) = await SaleWithReservationsAsync(buyers: 3, windowSeconds: 600);

        // act
        StartFeed(sale, CreateTestProbe().Ref);

        // assert: the gauge reports the sale's lag as the admin API and the cli define it
        await FeedLagIsAsync(sale, 3);
        Assert.Equal(3, (await _stream.ProgressAsync(sale))!.Lag);
    }

    [Fact]
    public async Task Should_report_no_feed_lag_when_every_reservation_became_an_order()
    {
        // arrange
        var (sale, _) = await SaleWithReservationsAsync(buyers: 3, windowSeconds: 600);

        // act
        StartFeed(sale, StartRegion(OrderSettings.Default));

        // assert
        await OrdersCreatedAsync(sale, 3);
        await FeedLagIsAsync(sale, 0);
    }

    private static Task FeedLagIsAsync(string sale, long lag) => Poll.UntilAsync(
        () => Task.FromResult(Gauges.Read(SpikeMetrics.OrdersFeedLagName, (SpikeMetrics.SaleTag, sale)) is [var measured] && measured == lag),
        Patience, $"the feed lag gauge never read {lag}");

    private async Task OrdersCreatedAsync(string sale, long orders)
    {
        try
        {
            await Poll.UntilAsync(async () => (await _stream.ProgressAsync(sale))!.Orders == orders, Patience, "not every reservation became an order");
        }
        catch (TimeoutException e)
        {
            var pending = await redis.Database.StreamPendingAsync(SaleKeys.Orders(sale), SaleKeys.OrderFeedGroup);
            throw new TimeoutException($"{e.Message}: {await _stream.ProgressAsync(sale)}, {pending.PendingMessageCount} entries pending", e);
        }
    }

    private void StartFeed(string sale, IActorRef region) =>
        Sys.ActorOf(OrderFeedActor.Props(new OnlySales(_stream, sale), region, FeedSettings));

    private IActorRef StartRegion(OrderSettings settings) =>
        Sys.ActorOf(Props.Create(() => new OrderRegionStandIn(id => OrderActor.Props(id, _orders, InventoryActor.Ref, settings), _loseFirstCreate)));

    private Task<(string Sale, string[] OrderIds)> SaleWithReservationsAsync(int buyers, int windowSeconds) =>
        ReservedSale.CreateAsync(_inventory, "feed-", stock: buyers, buyers, paymentWindowSeconds: windowSeconds);

    /// <summary>The stream with only the test's own sales in it (the test Redis holds every other test's sales too).</summary>
    private sealed class OnlySales(IOrderStream stream, params string[] sales) : IOrderStream
    {
        private int _reads;

        /// <summary>How often the feed has read the sales' streams.</summary>
        public int Reads => Volatile.Read(ref _reads);

        public Task<IReadOnlyList<string>> ListSalesAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<string>>(sales);

        public Task<IReadOnlyList<OrderEntry>> ReadAsync(string saleId, int count, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _reads);
            return stream.ReadAsync(saleId, count, cancellationToken);
        }

        public Task<DateTime?> LastReservationAtAsync(string saleId, CancellationToken cancellationToken = default) =>
            stream.LastReservationAtAsync(saleId, cancellationToken);

        public Task AcknowledgeAsync(string saleId, IReadOnlyList<OrderEntry> entries, CancellationToken cancellationToken = default) =>
            stream.AcknowledgeAsync(saleId, entries, cancellationToken);

        public Task<IReadOnlyList<string>> DueAsync(string saleId, long nowUnixMs, int count, CancellationToken cancellationToken = default) =>
            stream.DueAsync(saleId, nowUnixMs, count, cancellationToken);

        public Task<OrderProgress?> ProgressAsync(string saleId, CancellationToken cancellationToken = default) =>
            stream.ProgressAsync(saleId, cancellationToken);

        public Task<SaleLedger?> ReadLedgerAsync(string saleId, CancellationToken cancellationToken = default) =>
            stream.ReadLedgerAsync(saleId, cancellationToken);

        public Task AddDeadlinesAsync(string saleId, IReadOnlyList<LedgerOrder> orders, CancellationToken cancellationToken = default) =>
            stream.AddDeadlinesAsync(saleId, orders, cancellationToken);
    }
}
