using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Orders;

/// <summary>Reconciliation on a real Redis, with real OrderActors (in-memory journal) behind a stand-in for their shard region.</summary>
[Collection(RedisCollection.Name)]
public sealed class SaleReconcilerSpecs(RedisServerFixture redis, ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly RedisInventoryStore _inventory = new(redis.Connection);
    private readonly RedisOrderStore _orders = new(redis.Connection);
    private readonly RedisOrderStream _stream = new(redis.Connection);

    [Fact]
    public async Task Should_put_a_lost_deadline_back_and_make_an_order_record_the_settlement_it_missed()
    {
        var (sale, orderIds) = await ReservedSale.CreateAsync(_inventory, "reconcile-", stock: 3, buyers: 2);
        var region = Sys.ActorOf(Props.Create(() => new OrderRegionStandIn(
            id => OrderActor.Props(id, _orders, CreateTestProbe().Ref, OrderSettings.Default), new HashSet<string>())));
        foreach (var entry in await _stream.ReadAsync(sale, count: 10)) // what the feed does
        {
            var order = entry.Order!;
            await region.Ask<OrderReply>(new CreateOrder(order.OrderId, sale, order.UserId, order.Quantity, order.PayByUnixMs), Timeout);
            await _stream.AcknowledgeAsync(sale, [entry]);
        }
        await redis.Database.SortedSetRemoveAsync(SaleKeys.OrderDeadlines(sale), orderIds[0]); // a deadline lost
        await _orders.SettleAsync(orderIds[1], OrderState.Paid); // paid in the store; the actor's journal never heard

        var report = await new SaleReconciler(_stream, region, Timeout).RunAsync(sale, askSettledOrders: true);
        var again = await new SaleReconciler(_stream, region, Timeout).RunAsync(sale, askSettledOrders: true);

        Assert.Equal([(Reconciliation.MissingDeadline, 1L, 1L), (Reconciliation.SettledOnlyInStore, 1L, 1L)],
            report!.Differences.Select(d => (d.Kind, d.Count, d.Repaired)));
        Assert.Contains(orderIds[0], await _stream.DueAsync(sale, long.MaxValue, count: 10));
        Assert.Equal(OrderState.Paid, (await region.Ask<OrderReply>(new GetOrder(orderIds[1]), Timeout)).Order!.State);
        Assert.True(again!.Clean, string.Join("; ", again.Differences));
        Assert.Null(await new SaleReconciler(_stream, region, Timeout).RunAsync("no-such-sale", askSettledOrders: true));
    }
}
