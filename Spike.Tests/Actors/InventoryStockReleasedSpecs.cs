using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

/// <summary>What the InventoryActor does when an order gave tickets back (in a file of its own, beside InventoryActorSpecs).</summary>
public sealed class InventoryStockReleasedSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private const string Sale = "s1";

    [Fact]
    public async Task Should_read_the_sale_again_and_publish_back_in_stock_when_an_order_released_tickets_after_sell_out()
    {
        var store = new InMemoryInventoryStore();
        await store.ConfigureSaleAsync(Sale, new SaleSettings(1, 1, 300));
        var mediator = CreateTestProbe();
        var node = CreateTestProbe();
        var inventory = Sys.ActorOf(InventoryActor.Props(Sale, store, mediator.Ref, InventorySettings.Default));
        inventory.Tell(new ReserveBatch(Sale, 1, [new ReserveItem("r-a", "a", 1)], node.Ref, new HolderState(7, 0, 0)));
        node.ExpectMsg<BatchReserved>();
        mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: true });
        // The order's release happens in the store, behind the actor's back.
        await store.AddStockAsync(Sale, 1, null);

        inventory.Tell(new StockReleased(Sale));

        mediator.FishForMessage<Publish>(p => p.Message is SaleStatusChanged { SoldOut: false });
    }
}
