using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Host.Serialization;
using Spike.Persistence.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Persistence;
using Xunit.Abstractions;

namespace Spike.Tests.Orders;

/// <summary>The OrderActor on the Redis journal and a real Redis store, events serialized as in production.</summary>
[Collection(RedisCollection.Name)]
public sealed class OrderActorRedisJournalSpecs(RedisServerFixture redis, ITestOutputHelper output)
    : TestKit(SystemConfig(redis), nameof(OrderActorRedisJournalSpecs), output)
{
    private static Config SystemConfig(RedisServerFixture redis) =>
        ConfigurationFactory.ParseString($$"""
            akka.actor {
              serializers.spike = "{{typeof(SpikeSerializer).AssemblyQualifiedName}}"
              serialization-bindings { "{{typeof(ISpikeMessage).AssemblyQualifiedName}}" = spike }
            }
            """).WithFallback(RedisPersistenceTestKit.RedisPlugins(redis.ConnectionString, SaleKeys.Prefix));

    [Fact]
    public async Task Should_expire_on_time_and_give_the_tickets_back_when_a_recovered_actor_was_never_touched_again()
    {
        var (sale, orderId) = await ReserveTheOnlyTicketAsync(paymentWindowSeconds: 5);
        var orders = new RedisOrderStore(redis.Connection);
        var inventoryActor = CreateTestProbe();
        var first = Sys.ActorOf(OrderActor.Props(orderId, orders, inventoryActor.Ref, OrderSettings.Default));
        first.Tell(new GetOrder(orderId), TestActor);
        Assert.Equal(OrderState.Reserved, ExpectMsg<OrderReply>(TimeSpan.FromSeconds(15)).Order!.State);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        Assert.False(await redis.Database.HashExistsAsync(SaleKeys.OrderStates(sale), orderId), "the first incarnation expired the order already: the payment window is too short for this machine");

        Sys.ActorOf(OrderActor.Props(orderId, orders, inventoryActor.Ref, OrderSettings.Default));

        inventoryActor.ExpectMsg(new StockReleased(sale), TimeSpan.FromSeconds(15));
        Assert.Equal(SaleKeys.ExpiredState, (string?)await redis.Database.HashGetAsync(SaleKeys.OrderStates(sale), orderId));
        Assert.Equal(1, (long)await redis.Database.HashGetAsync(SaleKeys.Meta(sale), SaleKeys.AvailableField));
        Assert.Equal(2, await redis.Database.SortedSetLengthAsync($"{SaleKeys.Prefix}journal:{{{OrderActor.PersistenceIdPrefix}{orderId}}}:events"));
    }

    [Fact]
    public async Task Should_recover_without_reading_snapshots_when_its_snapshot_key_holds_an_unreadable_entry()
    {
        // arrange: an order, and under its snapshot key an entry no snapshot store can read
        var (_, orderId) = await ReserveTheOnlyTicketAsync(paymentWindowSeconds: 300);
        var orders = new RedisOrderStore(redis.Connection);
        await redis.Database.SortedSetAddAsync(PersistenceKeys.Snapshots(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + orderId), "not a snapshot", 1);

        // act
        var order = Sys.ActorOf(OrderActor.Props(orderId, orders, CreateTestProbe().Ref, OrderSettings.Default));
        order.Tell(new GetOrder(orderId), TestActor);

        // assert
        Assert.Equal(OrderState.Reserved, ExpectMsg<OrderReply>(TimeSpan.FromSeconds(15)).Order!.State);
    }

    /// <summary>A new sale of one ticket, reserved: its id and the order id of the reservation.</summary>
    private async Task<(string Sale, string OrderId)> ReserveTheOnlyTicketAsync(int paymentWindowSeconds)
    {
        var inventory = new RedisInventoryStore(redis.Connection);
        var sale = "journal-" + Guid.NewGuid().ToString("N")[..12];
        await inventory.ConfigureSaleAsync(sale, new SaleSettings(1, 1, PaymentWindowSeconds: paymentWindowSeconds));
        var reserved = await inventory.ReserveAsync(sale, [new ReserveItem("r", "u", 1)]);
        return (sale, reserved.Outcomes[0].OrderId!);
    }
}
