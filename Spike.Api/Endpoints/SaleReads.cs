using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;

namespace Spike.Api.Endpoints;

/// <summary>How the API reads a sale from Redis: one place for the admin API and the dashboard, so both show the same numbers.</summary>
internal static class SaleReads
{
    /// <summary>The sale with its order progress (<c>GET /admin/sales/{id}</c>); null when there is no such sale.</summary>
    /// <exception cref="InventoryUnavailableException">Redis is down or does not answer in time.</exception>
    public static async Task<SaleResponse?> ReadWithProgressAsync(string id, IInventoryStore store, IOrderStream orders, TimeProvider clock, CancellationToken cancellationToken)
    {
        var saleTask = store.GetSaleAsync(id, cancellationToken);
        var progressTask = orders.ProgressAsync(id, cancellationToken);
        var (sale, progress) = (await saleTask, await progressTask);
        return sale is null
            ? null
            : ToResponse(sale, clock) with
            {
                Reserved = progress?.Reserved,
                Paid = progress?.Paid,
                Released = progress?.Released,
                Orders = progress?.Orders,
                OrderLag = progress?.Lag,
                ReserveCalls = sale.ReserveCalls,
            };
    }

    /// <summary>The sale with its state by this node's clock (<see cref="SaleSnapshot.StateNow"/>).</summary>
    public static SaleResponse ToResponse(SaleSnapshot sale, TimeProvider clock) =>
        new(sale.Id, sale.Total, sale.Held, sale.Available, sale.PerUserLimit, sale.PaymentWindowSeconds,
            sale.Schedule.OpensAt, sale.Schedule.ClosesAt, SaleStates.Name(sale.StateNow(clock)));
}
