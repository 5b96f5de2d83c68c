using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

public sealed class StockActorSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s1";

    private static readonly StockSettings Settings = StockSettings.Default with
    {
        LeaseChunk = 100,
        MaxBatchesInFlight = 1,
        BatchTimeout = TimeSpan.FromSeconds(30),
    };

    private readonly SoldOutBoard _board = new();

    private static Task<ItemOutcome> OutcomeOf(Buy buy) => buy.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5));

    private static Buy NewBuy(string user, int quantity = 1) => Buy.Create(Sale, new ReserveItem($"r-{user}", user, quantity));

    /// <param name="ignoreTopUps">Drop the lease top-ups a small grant triggers at once (set before the grant, or one can slip through).</param>
    private (IActorRef Stock, Akka.TestKit.TestProbe Inventory) StartWithLease(int granted, StockSettings? settings = null, bool ignoreTopUps = false)
    {
        var inventory = CreateTestProbe();
        if (ignoreTopUps)
        {
            inventory.IgnoreMessages(m => m is AcquireLease);
        }
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, settings ?? Settings, _board));
        stock.Tell(new LeaseGranted(Sale, granted, PerUserLimit: 1, SoldOut: false));
        return (stock, inventory);
    }

    [Fact]
    public void Should_ask_for_a_lease_and_then_send_the_waiting_buyer_when_it_has_no_allotment()
    {
        var inventory = CreateTestProbe();
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, Settings, _board));

        stock.Tell(NewBuy("u1"));

        var lease = inventory.ExpectMsg<AcquireLease>();
        Assert.Equal(Settings.LeaseChunk, lease.Wanted);
        stock.Tell(new LeaseGranted(Sale, 10, 1, SoldOut: false));
        var batch = inventory.ExpectMsg<ReserveBatch>();
        Assert.Equal("u1", Assert.Single(batch.Items).UserId);
    }

    [Fact]
    public async Task Should_send_requests_arriving_during_a_call_as_one_batch()
    {
        var (stock, inventory) = StartWithLease(100);
        var first = NewBuy("u0");
        var rest = Enumerable.Range(1, 5).Select(i => NewBuy($"u{i}")).ToArray();

        stock.Tell(first);
        var firstBatch = inventory.ExpectMsg<ReserveBatch>();
        foreach (var buy in rest)
        {
            stock.Tell(buy);
        }
        inventory.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        stock.Tell(new BatchReserved(Sale, firstBatch.BatchId, [ItemOutcome.Reserved("s1-1", 0)]));

        var secondBatch = inventory.ExpectMsg<ReserveBatch>();
        Assert.Equal(rest.Select(b => b.Item), secondBatch.Items);
        Assert.Equal(ReserveStatus.Reserved, (await OutcomeOf(first)).Status);
        Assert.Same(stock, secondBatch.ReplyTo);
    }

    [Fact]
    public void Should_sell_its_whole_allotment_and_not_one_less()
    {
        var (stock, inventory) = StartWithLease(3, Settings with { MaxBatchesInFlight = 3 }, ignoreTopUps: true);

        for (var i = 0; i < 3; i++)
        {
            stock.Tell(NewBuy($"u{i}"));
        }

        var sent = Enumerable.Range(0, 3).SelectMany(_ => inventory.ExpectMsg<ReserveBatch>().Items).ToList();
        Assert.Equal(3, sent.Count);
    }

    [Fact]
    public void Should_give_allotment_back_when_the_authority_refuses()
    {
        var (stock, inventory) = StartWithLease(1, ignoreTopUps: true);
        stock.Tell(NewBuy("u1"));
        var batch = inventory.ExpectMsg<ReserveBatch>();

        stock.Tell(new BatchReserved(Sale, batch.BatchId, [ItemOutcome.LimitReached]));
        stock.Tell(NewBuy("u2"));

        // The refused ticket went back into the allotment: u2 goes out without a new lease.
        var next = inventory.ExpectMsg<ReserveBatch>();
        Assert.Equal("u2", Assert.Single(next.Items).UserId);
    }

    [Fact]
    public async Task Should_give_allotment_back_and_answer_unavailable_when_a_batch_times_out()
    {
        var (stock, inventory) = StartWithLease(1, Settings with { BatchTimeout = TimeSpan.FromMilliseconds(200) }, ignoreTopUps: true);
        var buy = NewBuy("u1");
        stock.Tell(buy);
        inventory.ExpectMsg<ReserveBatch>();

        var outcome = await OutcomeOf(buy);

        Assert.Equal(ReserveStatus.Unavailable, outcome.Status);
        stock.Tell(NewBuy("u2"));
        Assert.Equal("u2", Assert.Single(inventory.ExpectMsg<ReserveBatch>().Items).UserId);
    }

    [Fact]
    public async Task Should_tell_a_buyer_to_retry_when_it_waited_longer_than_the_limit_for_allotment()
    {
        var inventory = CreateTestProbe();
        var settings = Settings with { MaxWait = TimeSpan.FromMilliseconds(300), LeaseTimeout = TimeSpan.FromMinutes(1) };
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, settings, _board));
        var buy = NewBuy("u1");

        stock.Tell(buy);
        inventory.ExpectMsg<AcquireLease>(); // never answered

        Assert.Equal(ReserveStatus.Unavailable, (await OutcomeOf(buy)).Status);
    }

    [Fact]
    public async Task Should_answer_sold_out_locally_without_contacting_the_inventory_after_sell_out()
    {
        var (stock, inventory) = StartWithLease(50);
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true));
        var buys = Enumerable.Range(0, 50).Select(i => NewBuy($"u{i}")).ToArray();

        foreach (var buy in buys)
        {
            stock.Tell(buy);
        }

        var outcomes = await Task.WhenAll(buys.Select(OutcomeOf));
        Assert.All(outcomes, o => Assert.Equal(ReserveStatus.SoldOut, o.Status));
        inventory.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.True(_board.IsSoldOut(Sale), "the HTTP front's board did not learn the sell-out");
    }

    [Fact]
    public async Task Should_resolve_a_possible_retry_against_the_inventory_after_sell_out()
    {
        var (stock, inventory) = StartWithLease(50);
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true));
        var retry = Buy.Create(Sale, new ReserveItem("client-id", "u1", 1), mayBeRetry: true);

        stock.Tell(retry);

        var resolve = inventory.ExpectMsg<ResolveBatch>();
        Assert.Equal("client-id", Assert.Single(resolve.Items).RequestId);
        stock.Tell(new BatchReserved(Sale, resolve.BatchId, [ItemOutcome.Reserved("s1-7", 1)]));
        Assert.Equal("s1-7", (await OutcomeOf(retry)).OrderId);
    }

    [Fact]
    public void Should_reopen_when_the_sale_is_back_in_stock()
    {
        var (stock, inventory) = StartWithLease(0);
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true));
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false));

        stock.Tell(NewBuy("u1"));

        inventory.ExpectMsg<AcquireLease>();
        Assert.False(_board.IsSoldOut(Sale));
    }

    [Fact]
    public async Task Should_answer_waiting_buyers_sold_out_when_the_lease_says_sold_out()
    {
        var inventory = CreateTestProbe();
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, Settings, _board));
        var buy = NewBuy("u1");
        stock.Tell(buy);
        inventory.ExpectMsg<AcquireLease>();

        stock.Tell(new LeaseGranted(Sale, 0, 1, SoldOut: true));

        Assert.Equal(ReserveStatus.SoldOut, (await OutcomeOf(buy)).Status);
    }

    [Fact]
    public async Task Should_refuse_a_quantity_above_the_per_user_limit_without_deducting()
    {
        var (stock, inventory) = StartWithLease(50);
        var tooMany = NewBuy("u1", quantity: 2);

        stock.Tell(tooMany);

        Assert.Equal(ReserveStatus.QuantityAboveLimit, (await OutcomeOf(tooMany)).Status);
        inventory.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_return_unused_allotment_when_the_inventory_asks_for_it()
    {
        var (stock, inventory) = StartWithLease(40);

        stock.Tell(new ReleaseLease(Sale));

        var returned = inventory.ExpectMsg<LeaseReturned>();
        Assert.Equal(40, returned.Amount);
        Assert.Same(stock, returned.Holder);
    }

    [Fact]
    public void Should_skip_a_waiting_buyer_whose_request_has_already_been_answered()
    {
        var inventory = CreateTestProbe();
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, Settings, _board));
        var abandoned = NewBuy("gone");
        var waiting = NewBuy("u1");
        stock.Tell(abandoned);
        stock.Tell(waiting);
        inventory.ExpectMsg<AcquireLease>();
        abandoned.Completion.TrySetCanceled();

        stock.Tell(new LeaseGranted(Sale, 10, 1, SoldOut: false));

        var batch = inventory.ExpectMsg<ReserveBatch>();
        Assert.Equal("u1", Assert.Single(batch.Items).UserId);
    }
}
