using System.Collections.Concurrent;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;

namespace Spike.Tests.Support;

/// <summary>The order store's rules in memory (first settlement wins), for actor specs; Redis has its own specs.</summary>
public sealed class InMemoryOrderStore : IOrderStore
{
    private readonly ConcurrentDictionary<string, StoredOrder> _orders = new();
    private int _gets;

    /// <summary>While true every call fails as if Redis were down.</summary>
    public bool Down { get; set; }

    public int Gets => _gets;

    public void Reserve(OrderCreated reservation) => _orders[reservation.OrderId] = new StoredOrder(reservation, OrderState.Reserved);

    /// <summary>Settles behind the actor's back, as another incarnation (or a racing caller) would.</summary>
    public void SettleDirectly(string orderId, OrderState state) => SettleAsync(orderId, state).Wait();

    public OrderState? StateOf(string orderId) => _orders.TryGetValue(orderId, out var order) ? order.State : null;

    // Async, as the Redis store: a failure faults the task instead of throwing at the caller.
    public async Task<StoredOrder?> GetAsync(string orderId, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfDown();
        Interlocked.Increment(ref _gets);
        return _orders.GetValueOrDefault(orderId);
    }

    public async Task<OrderState?> SettleAsync(string orderId, OrderState outcome, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ThrowIfDown();
        if (!_orders.TryGetValue(orderId, out var order))
        {
            return null;
        }
        return _orders.AddOrUpdate(orderId, order, (_, current) =>
            current.State == OrderState.Reserved ? current with { State = outcome } : current).State;
    }

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new InventoryUnavailableException("the in-memory order store is down");
        }
    }
}
