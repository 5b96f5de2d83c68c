using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

public sealed class StockManagerActorSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s1";

    [Fact]
    public async Task Should_stop_an_idle_stock_actor_and_serve_the_next_buyer_with_a_new_one()
    {
        var inventory = CreateTestProbe();
        var settings = StockSettings.Default with { IdleTimeout = TimeSpan.FromMilliseconds(300), LeaseChunk = 4 };
        var manager = Sys.ActorOf(StockManagerActor.Props(inventory.Ref, new InMemoryInventoryStore(), settings, new SaleBoard()));
        var first = Buy.Create(Sale, new ReserveItem("r1", "u1", 1));
        manager.Tell(first);
        var lease = inventory.ExpectMsg<AcquireLease>();
        var firstActor = lease.Holder;
        firstActor.Tell(new LeaseGranted(Sale, lease.State.Incarnation, 1, 1, 1, Available: 1));
        var batch = inventory.ExpectMsg<ReserveBatch>();
        firstActor.Tell(new BatchReserved(Sale, lease.State.Incarnation, 2, batch.BatchId, [ItemOutcome.Reserved("s1-1", 1, 1)]));
        Assert.Equal(ReserveStatus.Reserved, (await first.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5))).Status);
        Watch(firstActor);

        ExpectTerminated(firstActor, TimeSpan.FromSeconds(5));
        var next = Buy.Create(Sale, new ReserveItem("r2", "u2", 1));
        manager.Tell(next);

        inventory.FishForMessage<AcquireLease>(lease => !lease.Holder.Equals(firstActor), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("abc\n")]
    [InlineData("a#b")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task Should_answer_unknown_sale_and_keep_its_stock_actors_when_a_sale_id_cannot_name_an_actor(string badSale)
    {
        var inventory = CreateTestProbe();
        var manager = Sys.ActorOf(StockManagerActor.Props(inventory.Ref, new InMemoryInventoryStore(), StockSettings.Default with { LeaseChunk = 4 }, new SaleBoard()));
        var first = Buy.Create(Sale, new ReserveItem("r1", "u1", 1));
        manager.Tell(first);
        var lease = inventory.ExpectMsg<AcquireLease>();
        var stockActor = lease.Holder;
        stockActor.Tell(new LeaseGranted(Sale, lease.State.Incarnation, 1, 4, 1, Available: 4));
        var firstBatch = inventory.FishForMessage<ReserveBatch>(_ => true, TimeSpan.FromSeconds(5));
        stockActor.Tell(new BatchReserved(Sale, lease.State.Incarnation, 2, firstBatch.BatchId, [ItemOutcome.Reserved("s1-1", 1, 1)]));
        await first.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var bad = Buy.Create(badSale, new ReserveItem("r2", "u2", 1));
        manager.Tell(bad);
        manager.Tell(Buy.Create(Sale, new ReserveItem("r3", "u3", 1)));

        Assert.Equal(ReserveStatus.UnknownSale, (await bad.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5))).Status);
        // A restarted manager would have stopped its children: the next buyer would go to a new StockActor.
        var next = inventory.FishForMessage<ReserveBatch>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(stockActor, next.ReplyTo);
    }

    [Fact]
    public async Task Should_stop_a_failing_stock_actor_and_answer_its_waiting_buyers_when_it_throws()
    {
        var inventory = CreateTestProbe();
        var manager = Sys.ActorOf(StockManagerActor.Props(inventory.Ref, new InMemoryInventoryStore(), StockSettings.Default, new SaleBoard()));
        var waiting = Buy.Create(Sale, new ReserveItem("r1", "u1", 1));
        manager.Tell(waiting);
        var failing = inventory.ExpectMsg<AcquireLease>().Holder;
        Watch(failing);

        manager.Tell(Buy.Create(Sale, null!)); // a buyer without an item makes the StockActor throw

        ExpectTerminated(failing, TimeSpan.FromSeconds(5));
        Assert.Equal(ReserveStatus.Unavailable, (await waiting.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5))).Status);
        manager.Tell(Buy.Create(Sale, new ReserveItem("r2", "u2", 1)));
        inventory.FishForMessage<AcquireLease>(lease => !lease.Holder.Equals(failing), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Should_tell_waiting_buyers_to_retry_when_a_stock_actor_stops()
    {
        var inventory = CreateTestProbe();
        var stock = Sys.ActorOf(StockActor.Props(Sale, inventory.Ref, new InMemoryInventoryStore(), StockSettings.Default, new SaleBoard()));
        var waiting = Buy.Create(Sale, new ReserveItem("r1", "u1", 1));
        stock.Tell(waiting);
        inventory.ExpectMsg<AcquireLease>();

        Sys.Stop(stock);

        Assert.Equal(ReserveStatus.Unavailable, (await waiting.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5))).Status);
    }

    [Fact]
    public async Task Should_keep_nothing_but_a_board_entry_for_each_sale_that_does_not_exist()
    {
        var inventory = CreateTestProbe();
        var board = new SaleBoard();
        // Entries must outlive the test, which a loaded machine can stretch past the default second.
        var settings = StockSettings.Default with { UnknownSaleTtl = TimeSpan.FromHours(1) };
        var manager = Sys.ActorOf(StockManagerActor.Props(inventory.Ref, new InMemoryInventoryStore(), settings, board));
        var buys = Enumerable.Range(0, 50).Select(i => Buy.Create($"nope{i}", new ReserveItem("r", "u", 1))).ToArray();

        foreach (var buy in buys)
        {
            manager.Tell(buy);
            inventory.ExpectMsg<AcquireLease>().Holder.Tell(new SaleUnknown(buy.SaleId));
        }

        Assert.All(await Task.WhenAll(buys.Select(b => b.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5)))),
            o => Assert.Equal(ReserveStatus.UnknownSale, o.Status));
        await AwaitAssertAsync(async () => Assert.Empty(await ChildrenOf(manager)), TimeSpan.FromSeconds(5));
        Assert.All(buys, b => Assert.True(board.TryAnswer(b.SaleId, "u", null, out var o) && o.Status == ReserveStatus.UnknownSale));
    }

    [Fact]
    public void Should_stop_answering_unknown_sale_at_once_when_the_sale_is_created()
    {
        var inventory = CreateTestProbe();
        var board = new SaleBoard();
        var manager = Sys.ActorOf(StockManagerActor.Props(inventory.Ref, new InMemoryInventoryStore(), StockSettings.Default with { UnknownSaleTtl = TimeSpan.FromHours(1) }, board));
        manager.Tell(Buy.Create(Sale, new ReserveItem("r", "u", 1)));
        inventory.ExpectMsg<AcquireLease>().Holder.Tell(new SaleUnknown(Sale));
        AwaitAssert(() => Assert.True(board.TryAnswer(Sale, "u", null, out _)));

        manager.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0));

        AwaitAssert(() => Assert.False(board.TryAnswer(Sale, "u", null, out _)));
    }

    private async Task<IActorRef[]> ChildrenOf(IActorRef parent)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(parent.Path / "*").Tell(new Identify(null), probe.Ref);
        var children = new List<IActorRef>();
        while (await Task.Run(() => probe.ReceiveOne(TimeSpan.FromMilliseconds(300))) is ActorIdentity { Subject: { } child })
        {
            children.Add(child);
        }
        return [.. children];
    }
}
