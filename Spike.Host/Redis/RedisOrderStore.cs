using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// Orders in Redis: the reservation record the reserve script wrote, and the state hash that settles each order once
/// (<see cref="OrderScripts"/>). Key names come from <see cref="SaleKeys"/>; the sale is the order id's prefix.
/// </summary>
public sealed class RedisOrderStore(IConnectionMultiplexer connection) : IOrderStore
{
    public async Task<StoredOrder?> GetAsync(string orderId, CancellationToken cancellationToken = default)
    {
        if (!SaleKeys.TrySaleOfOrder(orderId, out var sale))
        {
            return null;
        }
        var db = connection.GetDatabase();
        var (record, state) = await CallAsync(async () =>
        {
            // The state is written only after the record exists, and the record is never removed: two reads suffice.
            var recordTask = db.HashGetAsync(SaleKeys.Reservations(sale), orderId);
            var stateTask = db.HashGetAsync(SaleKeys.OrderStates(sale), orderId);
            return (await recordTask, await stateTask);
        }, cancellationToken);
        if (record.IsNull)
        {
            return null;
        }
        var reservation = ReservationRecord.Parse(record.ToString());
        return new StoredOrder(
            new OrderCreated(orderId, sale, reservation.User, reservation.Quantity, reservation.PayByUnixMs),
            state.IsNull ? OrderState.Reserved : ParseState(state.ToString()));
    }

    public async Task<OrderState?> SettleAsync(string orderId, OrderState outcome, CancellationToken cancellationToken = default)
    {
        if (!SaleKeys.TrySaleOfOrder(orderId, out var sale))
        {
            return null;
        }
        var db = connection.GetDatabase();
        var result = outcome switch
        {
            OrderState.Paid => await CallAsync(
                () => db.ScriptEvaluateAsync(OrderScripts.Pay, [SaleKeys.Reservations(sale), SaleKeys.OrderStates(sale)], [orderId]),
                cancellationToken),
            OrderState.Cancelled or OrderState.Expired => await CallAsync(
                () => db.ScriptEvaluateAsync(
                    OrderScripts.Release,
                    [SaleKeys.Meta(sale), SaleKeys.Users(sale), SaleKeys.Reservations(sale), SaleKeys.OrderStates(sale)],
                    [orderId, outcome == OrderState.Cancelled ? SaleKeys.CancelledState : SaleKeys.ExpiredState]),
                cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "an order settles as paid, cancelled or expired"),
        };
        var state = result.ToString();
        return state.Length == 0 ? null : ParseState(state);
    }

    private static OrderState ParseState(string state) => state switch
    {
        SaleKeys.PaidState => OrderState.Paid,
        SaleKeys.CancelledState => OrderState.Cancelled,
        SaleKeys.ExpiredState => OrderState.Expired,
        _ => throw new InvalidOperationException($"Unknown order state '{state}' in Redis."),
    };

    private static async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await call().WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is RedisTimeoutException or RedisConnectionException)
        {
            throw new InventoryUnavailableException($"Redis could not settle or read an order: {e.Message}", e);
        }
    }
}
