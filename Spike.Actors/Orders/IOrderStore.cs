using Spike.Actors.Inventory;

namespace Spike.Actors.Orders;

/// <summary>
/// Where reservations live and where an order is settled (Redis in production). Settling is atomic on the store's
/// side and happens once per order: the first of paid, cancelled and expired wins and later ones get its state.
/// Methods throw <see cref="InventoryUnavailableException"/> when the store cannot be reached or does not answer in time.
/// </summary>
public interface IOrderStore
{
    /// <summary>The reservation with this order id and the state the store settled it in; null when there is none.</summary>
    Task<StoredOrder?> GetAsync(string orderId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Settles the order as <paramref name="outcome"/> (paid, or cancelled / expired, which give its tickets back to
    /// the sale and its buyer) unless it is settled already; answers the state it is in afterwards, or null when no
    /// reservation has this id.
    /// </summary>
    Task<OrderState?> SettleAsync(string orderId, OrderState outcome, CancellationToken cancellationToken = default);
}

/// <param name="State">Reserved while not settled.</param>
public sealed record StoredOrder(OrderCreated Reservation, OrderState State);
