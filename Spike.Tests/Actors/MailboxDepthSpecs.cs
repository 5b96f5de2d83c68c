using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

/// <summary>
/// The mailbox depth gauge over real actors and their real mailboxes. A suspended actor (as its supervisor suspends
/// it while deciding about a failure) takes no message, so what is sent to it meanwhile stays queued: a state whose
/// depth is known exactly.
/// </summary>
public sealed class MailboxDepthSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Should_count_the_buys_queued_for_a_stock_actor_when_it_cannot_take_them()
    {
        // arrange: a sale's StockActor, running
        var sale = "depth-" + Guid.NewGuid().ToString("N");
        var stock = Sys.ActorOf(StockActor.Props(sale, CreateTestProbe().Ref, new InMemoryInventoryStore(), StockSettings.Default, new SaleBoard()));
        await DepthIsAsync(SpikeMetrics.StockActorKind, sale, 0);

        // act: 5 buyers while it is suspended
        ((IInternalActorRef)stock).Suspend();
        var buys = Enumerable.Range(0, 5).Select(i => Buy.Create(sale, new ReserveItem($"r{i}", $"u{i}", 1))).ToArray();
        foreach (var buy in buys)
        {
            stock.Tell(buy);
        }

        // assert: 5 waiting, none once it takes them again
        await DepthIsAsync(SpikeMetrics.StockActorKind, sale, 5);
        ((IInternalActorRef)stock).Resume();
        await DepthIsAsync(SpikeMetrics.StockActorKind, sale, 0);
    }

    [Fact]
    public async Task Should_count_the_messages_queued_for_an_inventory_actor_and_stop_reporting_it_when_it_stops()
    {
        // arrange: a sale's InventoryActor, running
        var sale = "depth-" + Guid.NewGuid().ToString("N");
        var inventory = Sys.ActorOf(InventoryActor.Props(sale, new InMemoryInventoryStore(), CreateTestProbe().Ref, InventorySettings.Default));
        await DepthIsAsync(SpikeMetrics.InventoryActorKind, sale, 0);

        // act: 3 messages while it is suspended
        ((IInternalActorRef)inventory).Suspend();
        for (var i = 0; i < 3; i++)
        {
            inventory.Tell(new StockReleased(sale));
        }

        // assert
        await DepthIsAsync(SpikeMetrics.InventoryActorKind, sale, 3);
        Watch(inventory);
        Sys.Stop(inventory);
        ExpectTerminated(inventory);
        Assert.Empty(Gauges.Read(SpikeMetrics.MailboxDepthName, (SpikeMetrics.ActorTag, SpikeMetrics.InventoryActorKind), (SpikeMetrics.SaleTag, sale)));
    }

    private static Task DepthIsAsync(string actorKind, string sale, long depth) => Poll.UntilAsync(
        () => Task.FromResult(Gauges.Read(SpikeMetrics.MailboxDepthName, (SpikeMetrics.ActorTag, actorKind), (SpikeMetrics.SaleTag, sale)) is [var measured] && measured == depth),
        Patience, $"the {actorKind} actor's mailbox depth never read {depth}");
}
