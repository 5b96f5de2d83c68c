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
        var (record, state) = await RedisCall.RunAsync(async () =>
        {
            // The state is written only after the record exists, and the record is never removed: two reads suffice.
            var recordTask = db.HashGetAsync(SaleKeys.Reservations(sale), orderId);
            var stateTask = db.HashGetAsync(SaleKeys.OrderStates(sale), orderId);
            return (await recordTask, await stateTask);
        }, "reading an order", cancellationToken);
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
            OrderState.Paid => await RedisCall.RunAsync(
                () => db.ScriptEvaluateAsync(
                    OrderScripts.Pay,
                    [SaleKeys.Reservations(sale), SaleKeys.OrderStates(sale), SaleKeys.Meta(sale), SaleKeys.OrderDeadlines(sale)],
                    [orderId]),
                "paying an order", cancellationToken),
            OrderState.Cancelled or OrderState.Expired => await RedisCall.RunAsync(
                () => db.ScriptEvaluateAsync(
                    OrderScripts.Release,
                    [SaleKeys.Meta(sale), SaleKeys.Users(sale), SaleKeys.Reservations(sale), SaleKeys.OrderStates(sale), SaleKeys.OrderDeadlines(sale)],
                    [orderId, outcome == OrderState.Cancelled ? SaleKeys.CancelledState : SaleKeys.ExpiredState]),
                "releasing an order", cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "an order settles as paid, cancelled or expired"),
        };
        var state = result.ToString();
        return state.Length == 0 ? null : ParseState(state);
    }

    internal static OrderState ParseState(string state) => state switch
    {
        SaleKeys.PaidState => OrderState.Paid,
        SaleKeys.CancelledState => OrderState.Cancelled,
        SaleKeys.ExpiredState => OrderState.Expired,
        _ => throw new InvalidOperationException($"Unknown order state '{state}' in Redis."),
    };
}
