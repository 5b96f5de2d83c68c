using Spike.Actors.Inventory;

namespace Spike.Tests.Support;

/// <summary>
/// The store's rules in memory, for pure actor tests only (the Redis store has its own specs).
/// Calls can be held open with <see cref="HoldCalls"/> to observe what the actor does meanwhile.
/// </summary>
public sealed class InMemoryInventoryStore : IInventoryStore
{
    private sealed class Sale
    {
        public long Total;
        public long Held;
        public int Limit;
        public int Window;
        public long Seq;
        public readonly Dictionary<string, ItemOutcome> Requests = [];
        public readonly Dictionary<string, int> Users = [];
        public readonly Dictionary<string, SaleCommandStatus> Operations = [];
    }

    private readonly Dictionary<string, Sale> _sales = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource? _gate;

    /// <summary>Every ReserveAsync call's items, in call order.</summary>
    public List<IReadOnlyList<ReserveItem>> ReserveCalls { get; } = [];

    public bool Failing { get; set; }

    public void HoldCalls() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseCalls() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public SaleSnapshot? Snapshot(string saleId)
    {
        lock (_lock)
        {
            return _sales.TryGetValue(saleId, out var sale) ? ToSnapshot(saleId, sale) : null;
        }
    }

    public async Task<ReserveBatchResult> ReserveAsync(string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            ReserveCalls.Add(items);
        }
        await WaitForGate();
        lock (_lock)
        {
            if (!_sales.TryGetValue(saleId, out var sale))
            {
                return new ReserveBatchResult(false, 0, items.Select(_ => ItemOutcome.UnknownSale).ToArray());
            }
            var outcomes = items.Select(item => Reserve(saleId, sale, item)).ToArray();
            return new ReserveBatchResult(true, sale.Total - sale.Held, outcomes);
        }
    }

    public async Task<IReadOnlyList<ItemOutcome?>> ResolveAsync(string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        lock (_lock)
        {
            return items.Select(item => _sales.TryGetValue(saleId, out var sale)
                && sale.Requests.TryGetValue(item.UserId + "\n" + item.RequestId, out var first) ? first : null).ToArray();
        }
    }

    public async Task<SaleSnapshot?> GetSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        return Snapshot(saleId);
    }

    public async Task<SaleCommandResult> ConfigureSaleAsync(string saleId, SaleSettings settings, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        lock (_lock)
        {
            var created = !_sales.TryGetValue(saleId, out var sale);
            sale ??= _sales[saleId] = new Sale();
            if (settings.Stock < sale.Held)
            {
                return new SaleCommandResult(saleId, SaleCommandStatus.Conflict, ToSnapshot(saleId, sale));
            }
            (sale.Total, sale.Limit, sale.Window) = (settings.Stock, settings.PerUserLimit, settings.PaymentWindowSeconds);
            return new SaleCommandResult(saleId, created ? SaleCommandStatus.Created : SaleCommandStatus.Updated, ToSnapshot(saleId, sale));
        }
    }

    public async Task<SaleCommandResult> AddStockAsync(string saleId, long amount, string? operationId, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        lock (_lock)
        {
            if (!_sales.TryGetValue(saleId, out var sale))
            {
                return new SaleCommandResult(saleId, SaleCommandStatus.UnknownSale, null);
            }
            if (operationId is null || !sale.Operations.TryGetValue(operationId, out var status))
            {
                status = sale.Total + amount > SaleLimits.MaxTotal ? SaleCommandStatus.Conflict : SaleCommandStatus.Updated;
                if (status == SaleCommandStatus.Updated)
                {
                    sale.Total += amount;
                }
                if (operationId is not null)
                {
                    sale.Operations[operationId] = status;
                }
            }
            return new SaleCommandResult(saleId, status, ToSnapshot(saleId, sale));
        }
    }

    private static ItemOutcome Reserve(string saleId, Sale sale, ReserveItem item)
    {
        var key = item.UserId + "\n" + item.RequestId;
        if (sale.Requests.TryGetValue(key, out var first))
        {
            return first;
        }
        var held = sale.Users.GetValueOrDefault(item.UserId);
        ItemOutcome outcome;
        if (held + item.Quantity > sale.Limit)
        {
            outcome = ItemOutcome.LimitReached;
        }
        else if (sale.Total - sale.Held < item.Quantity)
        {
            outcome = ItemOutcome.SoldOut;
        }
        else
        {
            sale.Held += item.Quantity;
            sale.Users[item.UserId] = held + item.Quantity;
            outcome = ItemOutcome.Reserved($"{saleId}-{++sale.Seq}", DateTimeOffset.UtcNow.AddSeconds(sale.Window).ToUnixTimeMilliseconds());
        }
        sale.Requests[key] = outcome;
        return outcome;
    }

    private async Task WaitForGate()
    {
        if (_gate is { } gate)
        {
            await gate.Task;
        }
        if (Failing)
        {
            throw new InventoryUnavailableException("store down (test)");
        }
    }

    private static SaleSnapshot ToSnapshot(string id, Sale sale) =>
        new(id, sale.Total, sale.Held, sale.Total - sale.Held, sale.Limit, sale.Window);
}
