using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Orders;

[Collection(RedisCollection.Name)]
public sealed class RedisOrderStreamSpecs(RedisServerFixture redis)
{
    private readonly RedisInventoryStore _inventory = new(redis.Connection);
    private readonly RedisOrderStore _orders = new(redis.Connection);
    private readonly RedisOrderStream _stream = new(redis.Connection);

    private IDatabase Db => redis.Database;

    [Fact]
    public async Task Should_read_every_reservation_in_order_and_read_it_again_until_it_is_acknowledged()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 3, quantity: 2);

        var first = await _stream.ReadAsync(sale, count: 2);
        var again = await _stream.ReadAsync(sale, count: 2);
        await _stream.AcknowledgeAsync(sale, first);
        var rest = await _stream.ReadAsync(sale, count: 2);
        await _stream.AcknowledgeAsync(sale, rest);

        Assert.Equal(orderIds[..2], first.Select(e => e.Order!.OrderId));
        Assert.Equal(first, again); // not acknowledged: pending, read again first
        Assert.Equal(orderIds[2..], rest.Select(e => e.Order!.OrderId));
        Assert.Equal((sale, "u0", 2), (first[0].Order!.SaleId, first[0].Order!.UserId, first[0].Order!.Quantity));
        Assert.Empty(await _stream.ReadAsync(sale, count: 2));
    }

    [Fact]
    public async Task Should_read_nothing_and_create_nothing_when_the_sale_has_no_reservation_yet()
    {
        var sale = "stream-" + Guid.NewGuid().ToString("N")[..12];
        await _inventory.ConfigureSaleAsync(sale, new SaleSettings(5, 1, 600));

        Assert.Empty(await _stream.ReadAsync(sale, count: 10));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Orders(sale)));
        Assert.Equal(new OrderProgress(0, 0, 0, 0), await _stream.ProgressAsync(sale));
    }

    [Fact]
    public async Task Should_put_acknowledged_orders_on_the_deadlines_unless_settled_and_take_them_off_when_settled()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 3);
        await _orders.SettleAsync(orderIds[0], OrderState.Paid); // paid before the feed got to it

        await _stream.AcknowledgeAsync(sale, await _stream.ReadAsync(sale, count: 10));
        var dueLater = await _stream.DueAsync(sale, long.MaxValue, count: 10);
        var dueNow = await _stream.DueAsync(sale, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), count: 10);
        await _orders.SettleAsync(orderIds[1], OrderState.Cancelled);

        Assert.Equal(orderIds[1..], dueLater);
        Assert.Empty(dueNow); // a 600 s window
        Assert.Equal([orderIds[2]], await _stream.DueAsync(sale, long.MaxValue, count: 10));
    }

    [Fact]
    public async Task Should_count_reservations_payments_releases_and_created_orders()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(buyers: 4);
        await _orders.SettleAsync(orderIds[0], OrderState.Paid);
        await _orders.SettleAsync(orderIds[1], OrderState.Expired);
        await _orders.SettleAsync(orderIds[1], OrderState.Cancelled); // settled once

        await _stream.AcknowledgeAsync(sale, await _stream.ReadAsync(sale, count: 3));
        var progress = await _stream.ProgressAsync(sale);

        Assert.Equal(new OrderProgress(Reserved: 4, Paid: 1, Released: 1, Orders: 3), progress);
        Assert.Equal(1, progress!.Lag);
        Assert.Null(await _stream.ProgressAsync("no-such-sale"));
    }

    [Fact]
    public async Task Should_acknowledge_a_malformed_entry_without_an_order()
    {
        var (sale, _) = await SaleWithReservationsAsync(buyers: 1);
        await Db.StreamAddAsync(SaleKeys.Orders(sale), [new NameValueEntry(SaleKeys.OrderIdField, "not-an-order")]);

        var entries = await _stream.ReadAsync(sale, count: 10);
        await _stream.AcknowledgeAsync(sale, entries);

        Assert.Null(entries[^1].Order);
        Assert.Empty(await _stream.ReadAsync(sale, count: 10));
        Assert.Single(await _stream.DueAsync(sale, long.MaxValue, count: 10));
    }

    [Fact]
    public async Task Should_list_configured_sales_and_forget_one_whose_keys_were_deleted()
    {
        var (kept, _) = await SaleWithReservationsAsync(buyers: 1);
        var (deleted, _) = await SaleWithReservationsAsync(buyers: 1);
        await Db.KeyDeleteAsync(SaleKeys.Meta(deleted));

        var sales = await _stream.ListSalesAsync();

        Assert.Contains(kept, sales);
        Assert.DoesNotContain(deleted, sales);
        Assert.False(await Db.SetContainsAsync(SaleKeys.Sales, deleted));
    }

    [Fact]
    public async Task Should_tell_when_the_newest_reservation_was_made()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);
        var (sale, _) = await SaleWithReservationsAsync(buyers: 2);

        var last = await _stream.LastReservationAtAsync(sale);

        Assert.InRange(last!.Value, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Null(await _stream.LastReservationAtAsync("no-such-sale"));
    }

    private Task<(string Sale, string[] OrderIds)> SaleWithReservationsAsync(int buyers, int quantity = 1) =>
        ReservedSale.CreateAsync(_inventory, "stream-", stock: 100, buyers, quantity);
}
