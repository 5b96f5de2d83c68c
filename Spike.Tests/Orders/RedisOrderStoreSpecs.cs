using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Orders;

[Collection(RedisCollection.Name)]
public sealed class RedisOrderStoreSpecs(RedisServerFixture redis)
{
    private readonly RedisInventoryStore _inventory = new(redis.Connection);
    private readonly RedisOrderStore _orders = new(redis.Connection);

    private IDatabase Db => redis.Database;

    [Fact]
    public async Task Should_read_the_reservation_as_a_reserved_order_when_it_is_not_settled()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: 5, buyers: 1, quantity: 2);

        var order = await _orders.GetAsync(orderIds[0]);

        Assert.NotNull(order);
        Assert.Equal(OrderState.Reserved, order.State);
        Assert.Equal((orderIds[0], sale, "u0", 2), (order.Reservation.OrderId, order.Reservation.SaleId, order.Reservation.UserId, order.Reservation.Quantity));
        Assert.True(order.Reservation.PayByUnixMs > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Theory]
    [InlineData("nodash")]
    [InlineData("sale-")]
    [InlineData("sale-01")]
    [InlineData("sale-x1")]
    [InlineData("-1")]
    public async Task Should_find_nothing_when_the_id_is_not_an_order_id(string orderId)
    {
        Assert.Null(await _orders.GetAsync(orderId));
        Assert.Null(await _orders.SettleAsync(orderId, OrderState.Paid));
    }

    [Fact]
    public async Task Should_find_nothing_and_write_nothing_when_no_reservation_has_the_id()
    {
        var (sale, _) = await SaleWithReservationsAsync(stock: 5, buyers: 1);

        Assert.Null(await _orders.GetAsync(sale + "-99"));
        Assert.Null(await _orders.SettleAsync(sale + "-99", OrderState.Expired));
        Assert.Null(await _orders.SettleAsync(sale + "-99", OrderState.Paid));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.OrderStates(sale)));
        await AssertCountsAsync(sale, total: 5, held: 1);
    }

    [Fact]
    public async Task Should_keep_the_tickets_held_when_paid()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: 5, buyers: 1, quantity: 2);

        var state = await _orders.SettleAsync(orderIds[0], OrderState.Paid);

        Assert.Equal(OrderState.Paid, state);
        Assert.Equal(OrderState.Paid, (await _orders.GetAsync(orderIds[0]))!.State);
        await AssertCountsAsync(sale, total: 5, held: 2);
    }

    [Theory]
    [InlineData(OrderState.Cancelled)]
    [InlineData(OrderState.Expired)]
    public async Task Should_give_the_tickets_back_once_when_released_twice(OrderState reason)
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: 5, buyers: 2, quantity: 2);

        var first = await _orders.SettleAsync(orderIds[0], reason);
        var second = await _orders.SettleAsync(orderIds[0], reason);

        Assert.Equal((reason, reason), (first, second));
        Assert.Equal(reason, (await _orders.GetAsync(orderIds[0]))!.State);
        await AssertCountsAsync(sale, total: 5, held: 2);
        Assert.False(await Db.HashExistsAsync(SaleKeys.Users(sale), "u0"));
    }

    [Fact]
    public async Task Should_let_the_buyer_buy_again_when_the_order_expired()
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: 1, buyers: 1);
        await _orders.SettleAsync(orderIds[0], OrderState.Expired);

        var again = await _inventory.ReserveAsync(sale, [new ReserveItem("second-request", "u0", 1)]);

        Assert.Equal(ReserveStatus.Reserved, again.Outcomes[0].Status);
        await AssertCountsAsync(sale, total: 1, held: 1);
    }

    [Theory]
    [InlineData(OrderState.Paid, OrderState.Expired)]
    [InlineData(OrderState.Paid, OrderState.Cancelled)]
    [InlineData(OrderState.Expired, OrderState.Paid)]
    [InlineData(OrderState.Cancelled, OrderState.Paid)]
    [InlineData(OrderState.Cancelled, OrderState.Expired)]
    public async Task Should_answer_the_first_settlement_and_change_nothing_when_settled_otherwise_later(OrderState first, OrderState then)
    {
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: 3, buyers: 1);
        await _orders.SettleAsync(orderIds[0], first);

        var state = await _orders.SettleAsync(orderIds[0], then);

        Assert.Equal(first, state);
        await AssertCountsAsync(sale, total: 3, held: first == OrderState.Paid ? 1 : 0);
    }

    [Fact]
    public async Task Should_end_each_order_in_exactly_one_state_and_keep_the_counts_when_payments_race_expiries()
    {
        const int Orders = 300;
        var (sale, orderIds) = await SaleWithReservationsAsync(stock: Orders, buyers: Orders);

        var races = orderIds.Select(async orderId =>
        {
            var pay = Task.Run(() => _orders.SettleAsync(orderId, OrderState.Paid));
            var expire = Task.Run(() => _orders.SettleAsync(orderId, OrderState.Expired));
            return (orderId, Paid: await pay, Expired: await expire);
        });
        var outcomes = await Task.WhenAll(races);

        // Both sides of a race learn the same winner, and Redis holds it.
        Assert.All(outcomes, race => Assert.Equal(race.Paid, race.Expired));
        var states = await Db.HashGetAllAsync(SaleKeys.OrderStates(sale));
        Assert.Equal(Orders, states.Length);
        var paid = outcomes.Count(race => race.Paid == OrderState.Paid);
        Assert.Equal(paid, states.Count(s => s.Value == SaleKeys.PaidState));
        Assert.Equal(Orders - paid, states.Count(s => s.Value == SaleKeys.ExpiredState));
        await AssertCountsAsync(sale, total: Orders, held: paid);
    }

    private Task<(string Sale, string[] OrderIds)> SaleWithReservationsAsync(long stock, int buyers, int quantity = 1) =>
        ReservedSale.CreateAsync(_inventory, "orders-", stock, buyers, quantity);

    /// <summary>held + available == total, the buyers' counts add up to held, and the sale passes its audit.</summary>
    private async Task AssertCountsAsync(string sale, long total, long held)
    {
        (await SaleAudit.ReadAsync(Db, sale)).AssertConsistent();
        var meta = await Db.HashGetAsync(SaleKeys.Meta(sale), [SaleKeys.TotalField, SaleKeys.HeldField, SaleKeys.AvailableField]);
        var byUser = (await Db.HashValuesAsync(SaleKeys.Users(sale))).Sum(v => (long)v);
        Assert.Equal((total, held, total - held, held), ((long)meta[0], (long)meta[1], (long)meta[2], byUser));
    }
}
