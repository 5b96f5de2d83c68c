using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

/// <summary>Real StockActors (two "nodes") and a real InventoryActor on the in-memory store: how leases flow end to end.</summary>
public sealed class LeaseFlowSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s1";
    private readonly InMemoryInventoryStore _store = new();

    /// <summary>The InventoryActor is alive throughout: the node never falls back to selling directly.</summary>
    private static readonly StockSettings Stock = StockSettings.Default with
    {
        LeaseChunk = 1,
        MaxWait = TimeSpan.FromSeconds(10),
        LeaseTimeout = TimeSpan.FromSeconds(5),
        FallbackAfter = TimeSpan.FromSeconds(30),
    };

    private (IActorRef Inventory, IActorRef[] Nodes) Start(long stock, int limit, StockSettings? settings = null, InventorySettings? inventorySettings = null)
    {
        _store.ConfigureSaleAsync(Sale, new SaleSettings(stock, limit, 300)).Wait();
        var inventory = Sys.ActorOf(InventoryActor.Props(Sale, _store, CreateTestProbe().Ref, inventorySettings ?? InventorySettings.Default));
        var nodes = Enumerable.Range(0, 2)
            .Select(_ => Sys.ActorOf(StockActor.Props(Sale, inventory, _store, settings ?? Stock, new SaleBoard())))
            .ToArray();
        return (inventory, nodes);
    }

    private static Buy BuyOf(string user, int quantity) => Buy.Create(Sale, new ReserveItem("r-" + user, user, quantity));

    private static Task<ItemOutcome[]> OutcomesOf(IEnumerable<Buy> buys) => Task.WhenAll(buys.Select(b => b.Completion.Task.WaitAsync(TimeSpan.FromSeconds(10))));

    [Fact]
    public async Task Should_sell_the_last_two_tickets_when_two_nodes_each_hold_one_and_both_have_buyers_of_two()
    {
        var (inventory, nodes) = Start(stock: 2, limit: 2);
        var singles = new[] { BuyOf("s0", 1), BuyOf("s1", 1) };
        nodes[0].Tell(singles[0]);
        nodes[1].Tell(singles[1]);
        await OutcomesOf(singles); // each node held one ticket and sold it; stock is 0
        inventory.Tell(new AddStock(Sale, 2));
        ExpectMsg<SaleCommandResult>();
        nodes[0].Tell(new SaleStatusChanged(Sale, false, 2, 2));
        nodes[1].Tell(new SaleStatusChanged(Sale, false, 2, 2));

        var pairs = new[] { BuyOf("p0", 2), BuyOf("p1", 2) };
        nodes[0].Tell(pairs[0]);
        nodes[1].Tell(pairs[1]);
        var outcomes = await OutcomesOf(pairs);

        Assert.Single(outcomes, o => o.Status == ReserveStatus.Reserved);
        Assert.Single(outcomes, o => o.Status == ReserveStatus.SoldOut);
        Assert.Equal(4, _store.Snapshot(Sale)!.Held);
    }

    [Fact]
    public async Task Should_answer_a_buyer_of_more_than_remains_at_once_and_sell_the_rest_to_others()
    {
        var (_, nodes) = Start(stock: 3, limit: 4, settings: Stock with { LeaseChunk = 8 });

        var big = BuyOf("big", 4);
        nodes[0].Tell(big);
        var refused = await big.Completion.Task.WaitAsync(TimeSpan.FromSeconds(3));
        var small = Enumerable.Range(0, 5).Select(i => BuyOf($"u{i}", 1)).ToArray();
        foreach (var (buy, i) in small.Select((b, i) => (b, i)))
        {
            nodes[i % 2].Tell(buy);
        }
        var outcomes = await OutcomesOf(small);

        Assert.Equal((ReserveStatus.NotEnoughLeft, 3L), (refused.Status, refused.Remaining));
        Assert.Equal(3, outcomes.Count(o => o.Status == ReserveStatus.Reserved));
        Assert.Equal(2, outcomes.Count(o => o.Status == ReserveStatus.SoldOut));
    }

    [Fact]
    public async Task Should_sell_every_added_ticket_after_a_timed_out_batch_and_a_sell_out()
    {
        var settings = Stock with { LeaseChunk = 4, BatchTimeout = TimeSpan.FromMilliseconds(300) };
        var (inventory, nodes) = Start(stock: 4, limit: 1, settings);

        // A batch times out at the node while Redis runs it: its outcome is unknown to the node.
        var warm = BuyOf("warm", 1);
        nodes[0].Tell(warm);
        await OutcomesOf([warm]);
        _store.HoldCalls();
        var lost = BuyOf("lost", 1);
        nodes[0].Tell(lost);
        Assert.Equal(ReserveStatus.Unavailable, (await lost.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5))).Status);
        _store.ReleaseCalls();

        // The sale sells out through both nodes.
        var first = Enumerable.Range(0, 8).Select(i => BuyOf($"a{i}", 1)).ToArray();
        foreach (var (buy, i) in first.Select((b, i) => (b, i)))
        {
            nodes[i % 2].Tell(buy);
        }
        await OutcomesOf(first);
        Assert.Equal(4, _store.Snapshot(Sale)!.Held);

        // Stock is added: every added ticket is sold, none stays leased to a node that does not have it.
        inventory.Tell(new AddStock(Sale, 6));
        ExpectMsg<SaleCommandResult>();
        foreach (var node in nodes)
        {
            node.Tell(new SaleStatusChanged(Sale, false, 1, 4));
        }
        var second = Enumerable.Range(0, 12).Select(i => BuyOf($"b{i}", 1)).ToArray();
        foreach (var (buy, i) in second.Select((b, i) => (b, i)))
        {
            nodes[i % 2].Tell(buy);
        }
        var outcomes = await OutcomesOf(second);

        Assert.Equal(6, outcomes.Count(o => o.Status == ReserveStatus.Reserved));
        Assert.All(outcomes, o => Assert.True(o.Status is ReserveStatus.Reserved or ReserveStatus.SoldOut, o.ToString()));
        Assert.Equal(10, _store.Snapshot(Sale)!.Held);
    }
}
