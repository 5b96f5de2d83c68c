using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Persistence.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Redis;

/// <summary>Closing a sale early and deleting a finished one, against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class SaleDeletionSpecs(RedisServerFixture redis)
{
    private readonly RedisInventoryStore _store = new(redis.Connection);
    private readonly RedisOrderStore _orders = new(redis.Connection);

    private IDatabase Db => redis.Database;

    [Fact]
    public async Task Should_close_a_sale_now_by_the_redis_clock_and_keep_an_earlier_closing()
    {
        var (sale, _) = await ReservedSale.CreateAsync(_store, "close", stock: 5, buyers: 1);
        var before = await RedisNowAsync();

        var closed = await _store.CloseSaleAsync(sale);
        var again = await _store.CloseSaleAsync(sale);

        Assert.Equal(SaleCommandStatus.Updated, closed.Status);
        Assert.InRange(closed.Sale!.Schedule.ClosesAtUnixMs!.Value, before, await RedisNowAsync());
        Assert.Equal(closed.Sale.Schedule, again.Sale!.Schedule);
        var refused = await _store.ReserveAsync(sale, [new ReserveItem("r-late", "late", 1)]);
        Assert.Equal(ItemOutcome.Closed, refused.Outcomes[0]);
    }

    [Fact]
    public async Task Should_answer_unknown_sale_and_write_nothing_when_closing_or_deleting_a_sale_that_does_not_exist()
    {
        var sale = "ghost" + Guid.NewGuid().ToString("N")[..8];

        var closed = await _store.CloseSaleAsync(sale);
        var deleted = await _store.DeleteSaleAsync(sale);

        Assert.Equal((SaleCommandStatus.UnknownSale, SaleCommandStatus.UnknownSale), (closed.Status, deleted.Status));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    [Fact]
    public async Task Should_refuse_to_delete_a_sale_that_is_still_selling_and_change_nothing()
    {
        var (sale, orderIds) = await ReservedSale.CreateAsync(_store, "selling", stock: 5, buyers: 1);
        await _orders.SettleAsync(orderIds[0], OrderState.Paid);

        var result = await _store.DeleteSaleAsync(sale);

        Assert.Equal(SaleCommandStatus.StillSelling, result.Status);
        Assert.True(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
        Assert.True(await Db.SetContainsAsync(SaleKeys.Sales, sale));
    }

    [Fact]
    public async Task Should_refuse_to_delete_a_sold_out_sale_while_an_order_is_open_and_change_nothing()
    {
        var (sale, orderIds) = await ReservedSale.CreateAsync(_store, "open", stock: 2, buyers: 2);
        await _orders.SettleAsync(orderIds[0], OrderState.Paid);
        var journal = await WriteJournalAsync(orderIds[0]);

        var result = await _store.DeleteSaleAsync(sale);

        Assert.Equal(SaleCommandStatus.OrdersOpen, result.Status);
        Assert.All(new[] { SaleKeys.Meta(sale), SaleKeys.Requests(sale), SaleKeys.Users(sale), SaleKeys.Reservations(sale), SaleKeys.Orders(sale), SaleKeys.OrderStates(sale) },
            key => Assert.True(Db.KeyExists(key), key));
        Assert.True(await Db.KeyExistsAsync(journal));
    }

    [Fact]
    public async Task Should_delete_every_key_and_journal_of_a_finished_sale_and_leave_another_sale_alone()
    {
        var (sale, orderIds) = await ReservedSale.CreateAsync(_store, "done", stock: 3, buyers: 2);
        var (other, otherOrderIds) = await ReservedSale.CreateAsync(_store, "keep", stock: 2, buyers: 2);
        await _orders.SettleAsync(orderIds[0], OrderState.Paid);
        await _orders.SettleAsync(orderIds[1], OrderState.Cancelled);
        await _orders.SettleAsync(otherOrderIds[0], OrderState.Paid);
        await _store.AddStockAsync(sale, 1, "op-1");
        await _store.CloseSaleAsync(sale);
        var journals = await Task.WhenAll(orderIds.Select(WriteJournalAsync));
        var otherJournals = await Task.WhenAll(otherOrderIds.Select(WriteJournalAsync));
        var otherKeys = SaleKeys.All(other).Where(key => Db.KeyExists(key)).ToArray();

        var result = await _store.DeleteSaleAsync(sale);

        Assert.Equal(SaleCommandStatus.Deleted, result.Status);
        Assert.All(SaleKeys.All(sale), key => Assert.False(Db.KeyExists(key), key));
        Assert.All(orderIds.SelectMany(JournalKeys), key => Assert.False(Db.KeyExists(key), key));
        Assert.False(await Db.SetContainsAsync(SaleKeys.Sales, sale));
        Assert.Null(await _store.GetSaleAsync(sale));
        Assert.Equal(6, otherKeys.Length); // meta, req, users, res, orders, state
        Assert.All(otherKeys.Concat(otherJournals), key => Assert.True(Db.KeyExists(key), key));
        Assert.True(await Db.SetContainsAsync(SaleKeys.Sales, other));
        Assert.Equal(journals.Length, orderIds.Length);
    }

    /// <summary>A journal as the order's actor would leave it: events, its highest sequence number and a snapshot.</summary>
    private async Task<string> WriteJournalAsync(string orderId)
    {
        var keys = JournalKeys(orderId);
        await Db.SortedSetAddAsync(keys[0], "event", 1);
        await Db.StringSetAsync(keys[1], 1);
        await Db.SortedSetAddAsync(keys[2], "snapshot", 1);
        return keys[0];
    }

    private static string[] JournalKeys(string orderId)
    {
        var persistenceId = OrderActor.PersistenceIdPrefix + orderId;
        return
        [
            PersistenceKeys.Events(SaleKeys.Prefix, persistenceId),
            PersistenceKeys.HighestSequenceNr(SaleKeys.Prefix, persistenceId),
            PersistenceKeys.Snapshots(SaleKeys.Prefix, persistenceId),
        ];
    }

    private async Task<long> RedisNowAsync() => new DateTimeOffset(await redis.Server.TimeAsync(), TimeSpan.Zero).ToUnixTimeMilliseconds();
}
