using Spike.Actors.Inventory;

namespace Spike.Tests.Support;

/// <summary>
/// The store's rules in memory, for pure actor tests only (the Redis store has its own specs). Refusals are kept
/// for good here (Redis lets them expire). Calls can be held open with <see cref="HoldCalls"/> to observe what the
/// actor does meanwhile. A sale's schedule is judged by <paramref name="clock"/> (Redis's own clock, in production).
/// </summary>
public sealed class InMemoryInventoryStore(TimeProvider? clock = null) : IInventoryStore
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Stored for a "not enough left" refusal; each answer reports what is left after its batch.</summary>
    private static readonly ItemOutcome NotEnoughLeft = new(ReserveStatus.NotEnoughLeft);

    private sealed class Sale
    {
        public long Total;
        public long Held;
        public int Limit;
        public int Window;
        public SaleSchedule Schedule;
        public long Seq;
        /// <summary>User and request id → the first outcome of that request.</summary>
        public readonly Dictionary<string, ItemOutcome> Requests = [];
        public readonly Dictionary<string, int> Users = [];
        public readonly List<ReservationEntry> Reservations = [];
        public readonly Dictionary<string, SaleCommandStatus> Operations = [];
    }

    private readonly Dictionary<string, Sale> _sales = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource? _gate;
    private TaskCompletionSource? _readsGate;
    private int _reservationReads;

    /// <summary>Every ReserveAsync call's items, in call order.</summary>
    public List<IReadOnlyList<ReserveItem>> ReserveCalls { get; } = [];

    public bool Failing { get; set; }

    public void HoldCalls() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseCalls() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    /// <summary>Holds the answers of reads of a sale's reservations (reserve calls go on).</summary>
    public void HoldReservationReads() => _readsGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseReservationReads() => Interlocked.Exchange(ref _readsGate, null)?.TrySetResult();

    /// <summary>Reads of a sale's reservations made so far.</summary>
    public int ReservationReads => Volatile.Read(ref _reservationReads);

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
                return new ReserveBatchResult(false, 0, 0, items.Select(_ => ItemOutcome.UnknownSale).ToArray());
            }
            var phase = sale.Schedule.PhaseAt(_clock.GetUtcNow().ToUnixTimeMilliseconds());
            var outcomes = items.Select(item => Reserve(saleId, sale, item, phase)).ToArray();
            var available = sale.Total - sale.Held;
            var answers = outcomes.Select(o => o.Status == ReserveStatus.NotEnoughLeft ? ItemOutcome.NotEnough(available) : o).ToArray();
            return new ReserveBatchResult(true, available, sale.Seq, answers);
        }
    }

    public async Task<SaleReservations> GetReservationsAsync(string saleId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reservationReads);
        await WaitForGate();
        SaleReservations read;
        lock (_lock)
        {
            read = _sales.TryGetValue(saleId, out var sale)
                ? new SaleReservations(sale.Seq, sale.Reservations.ToArray())
                : new SaleReservations(0, []);
        }
        // A held read answers what was there when it was made, like a slow reply on the wire.
        if (Volatile.Read(ref _readsGate) is { } readsGate)
        {
            await readsGate.Task;
        }
        return read;
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
            (sale.Total, sale.Limit, sale.Window, sale.Schedule) = (settings.Stock, settings.PerUserLimit, settings.PaymentWindowSeconds, settings.Schedule);
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

    public async Task<SaleCommandResult> CloseSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        lock (_lock)
        {
            if (!_sales.TryGetValue(saleId, out var sale))
            {
                return new SaleCommandResult(saleId, SaleCommandStatus.UnknownSale, null);
            }
            var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            sale.Schedule = sale.Schedule with { ClosesAtUnixMs = Math.Min(sale.Schedule.ClosesAtUnixMs ?? long.MaxValue, now) };
            return new SaleCommandResult(saleId, SaleCommandStatus.Updated, ToSnapshot(saleId, sale));
        }
    }

    /// <summary>Orders are not kept here: every reservation counts as settled.</summary>
    public async Task<SaleCommandResult> DeleteSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        await WaitForGate();
        lock (_lock)
        {
            if (!_sales.TryGetValue(saleId, out var sale))
            {
                return new SaleCommandResult(saleId, SaleCommandStatus.UnknownSale, null);
            }
            var snapshot = ToSnapshot(saleId, sale);
            if (sale.Schedule.PhaseAt(_clock.GetUtcNow().ToUnixTimeMilliseconds()) != SalePhase.Closed && snapshot.Available > 0)
            {
                return new SaleCommandResult(saleId, SaleCommandStatus.StillSelling, snapshot);
            }
            _sales.Remove(saleId);
            return new SaleCommandResult(saleId, SaleCommandStatus.Deleted, snapshot);
        }
    }

    private static ItemOutcome Reserve(string saleId, Sale sale, ReserveItem item, SalePhase phase)
    {
        var key = item.UserId + "\n" + item.RequestId;
        if (sale.Requests.TryGetValue(key, out var first))
        {
            return first;
        }
        if (phase != SalePhase.Open)
        {
            return phase == SalePhase.Closed ? ItemOutcome.Closed : ItemOutcome.NotOpen(sale.Schedule.OpensAtUnixMs!.Value);
        }
        var held = sale.Users.GetValueOrDefault(item.UserId);
        ItemOutcome outcome;
        if (held + item.Quantity > sale.Limit)
        {
            outcome = ItemOutcome.LimitReached;
        }
        else if (sale.Total - sale.Held < item.Quantity)
        {
            outcome = sale.Total > sale.Held ? NotEnoughLeft : ItemOutcome.SoldOut;
        }
        else
        {
            sale.Held += item.Quantity;
            sale.Users[item.UserId] = held + item.Quantity;
            var payBy = DateTimeOffset.UtcNow.AddSeconds(sale.Window).ToUnixTimeMilliseconds();
            outcome = ItemOutcome.Reserved($"{saleId}-{++sale.Seq}", payBy, item.Quantity);
            sale.Reservations.Add(new ReservationEntry(item.UserId, item.RequestId, outcome));
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
        new(id, sale.Total, sale.Held, sale.Total - sale.Held, sale.Limit, sale.Window, sale.Seq, Schedule: sale.Schedule);
}
