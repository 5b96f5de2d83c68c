using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// What the HTTP front may answer without an actor message: sales that have not opened yet or have closed (by their
/// schedule and this node's clock), sales that are over (sold out or closed, with every reservation of the sale, so
/// that a reserved buyer's retry still gets its order) and sale ids known not to exist. Written only by the
/// StockActors and the StockManager; the actors stay the ones that decide.
/// </summary>
/// <remarks>
/// A sale that is over costs its reservations (at most one per ticket, about 200 bytes each with 128-character
/// ids); unknown sale ids cost one entry each, at most <see cref="MaxUnknownSales"/>, for
/// <see cref="StockSettings.UnknownSaleTtl"/>.
/// </remarks>
public sealed class SaleBoard(TimeProvider clock)
{
    /// <summary>Unknown sale ids remembered at once; beyond it expired ones, then any, are dropped (their next buyer asks again).</summary>
    public const int MaxUnknownSales = 10_000;

    /// <summary>
    /// One sale as its StockActor last learned it. <paramref name="Reservations"/>: every reservation, once the sale
    /// is over (sold out, or closed); null while it sells.
    /// </summary>
    private sealed record Entry(SaleSchedule Schedule, ItemOutcome? NotOpen, FrozenDictionary<string, ItemOutcome>? Reservations);

    private readonly ConcurrentDictionary<string, Entry> _sales = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unknownUntil = new(StringComparer.Ordinal);

    /// <summary>Each StockActor's allotment, which it writes after every message and the metrics read.</summary>
    private readonly ConcurrentDictionary<string, StrongBox<long>> _allotments = new(StringComparer.Ordinal);

    /// <summary>Between user and request id in a reservation's key: ids cannot hold line breaks.</summary>
    private const char KeySeparator = '\n';

    public SaleBoard() : this(TimeProvider.System)
    {
    }

    /// <summary>This node's clock: the board and the StockActors decide a sale's phase with it.</summary>
    public TimeProvider Clock { get; } = clock;

    /// <summary>Where the schedule puts the sale now, by this node's clock.</summary>
    public SalePhase PhaseOf(SaleSchedule schedule) =>
        schedule.HasTimes ? schedule.PhaseAt(Clock.GetUtcNow().ToUnixTimeMilliseconds()) : SalePhase.Open;

    /// <summary>
    /// The answer for this request when the front can give it alone: not open yet; for a sale that is over the
    /// buyer's reservation, or closed / sold out; closed for a closed sale when the request carries no request id;
    /// unknown sale for an id known not to exist. <paramref name="requestId"/> null: the request carries none, so it
    /// cannot be the retry of a reservation. A request id for a closed sale whose reservations this node does not
    /// hold yet goes on to the StockActor, which reads them (Redis answers meanwhile).
    /// </summary>
    public bool TryAnswer(string saleId, string userId, string? requestId, out ItemOutcome outcome)
    {
        if (_sales.TryGetValue(saleId, out var sale))
        {
            var phase = PhaseOf(sale.Schedule);
            if (phase == SalePhase.NotOpen)
            {
                outcome = sale.NotOpen!;
                return true;
            }
            if (sale.Reservations is { } reservations)
            {
                outcome = (requestId is null ? null : Find(reservations, userId, requestId))
                    ?? (phase == SalePhase.Closed ? ItemOutcome.Closed : ItemOutcome.SoldOut);
                return true;
            }
            if (phase == SalePhase.Closed && requestId is null)
            {
                outcome = ItemOutcome.Closed;
                return true;
            }
        }
        if (_unknownUntil.TryGetValue(saleId, out var until) && Environment.TickCount64 < until)
        {
            outcome = ItemOutcome.UnknownSale;
            return true;
        }
        outcome = null!;
        return false;
    }

    /// <summary>The sale's schedule, as its StockActor learned it with a lease or a status.</summary>
    internal void SetSchedule(string saleId, SaleSchedule schedule)
    {
        var notOpen = schedule.OpensAtUnixMs is { } opensAt ? ItemOutcome.NotOpen(opensAt) : null;
        _sales[saleId] = _sales.TryGetValue(saleId, out var sale)
            ? sale with { Schedule = schedule, NotOpen = notOpen }
            : new Entry(schedule, notOpen, null);
    }

    /// <summary>The sale is over (sold out or closed); these are all its reservations (one request id twice: the first counts).</summary>
    internal void SetOver(string saleId, IEnumerable<ReservationEntry> reservations)
    {
        var table = new Dictionary<string, ItemOutcome>(StringComparer.Ordinal);
        foreach (var entry in reservations)
        {
            table.TryAdd(entry.UserId + KeySeparator + entry.RequestId, entry.Outcome);
        }
        var frozen = table.ToFrozenDictionary(StringComparer.Ordinal);
        _sales[saleId] = _sales.TryGetValue(saleId, out var sale) ? sale with { Reservations = frozen } : new Entry(default, null, frozen);
    }

    /// <summary>Looks the reservation up without building its key string: every sold-out answer goes through here.</summary>
    private static ItemOutcome? Find(FrozenDictionary<string, ItemOutcome> reservations, string userId, string requestId)
    {
        var length = userId.Length + 1 + requestId.Length;
        var buffer = length <= 512 ? stackalloc char[length] : new char[length];
        userId.AsSpan().CopyTo(buffer);
        buffer[userId.Length] = KeySeparator;
        requestId.AsSpan().CopyTo(buffer[(userId.Length + 1)..]);
        return reservations.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(buffer, out var outcome) ? outcome : null;
    }

    /// <summary>The sale sells again: its buyers go to the StockActor (the schedule still answers for it).</summary>
    internal void Reopen(string saleId)
    {
        if (_sales.TryGetValue(saleId, out var sale) && sale.Reservations is not null)
        {
            _sales[saleId] = sale with { Reservations = null };
        }
    }

    /// <summary>Its StockActor stopped: nothing about the sale is answered here until a new one learns it again.</summary>
    internal void Forget(string saleId) => _sales.TryRemove(saleId, out _);

    internal void MarkUnknown(string saleId, TimeSpan ttl)
    {
        if (_unknownUntil.Count >= MaxUnknownSales)
        {
            var now = Environment.TickCount64;
            foreach (var (id, until) in _unknownUntil)
            {
                if (until <= now || _unknownUntil.Count >= MaxUnknownSales)
                {
                    _unknownUntil.TryRemove(id, out _);
                }
            }
        }
        _unknownUntil[saleId] = Environment.TickCount64 + (long)ttl.TotalMilliseconds;
    }

    internal void ForgetUnknown(string saleId) => _unknownUntil.TryRemove(saleId, out _);

    /// <summary>A new slot for the sale's allotment, replacing a stopping predecessor's.</summary>
    internal StrongBox<long> TrackAllotment(string saleId)
    {
        var slot = new StrongBox<long>();
        _allotments[saleId] = slot;
        return slot;
    }

    /// <summary>Removes the slot unless a successor replaced it already.</summary>
    internal void ForgetAllotment(string saleId, StrongBox<long> slot) => _allotments.TryRemove(KeyValuePair.Create(saleId, slot));

    /// <summary>Each sale's allotment on this node, for the metrics.</summary>
    internal IEnumerable<(string Sale, long Allotment)> Allotments()
    {
        foreach (var (sale, slot) in _allotments)
        {
            yield return (sale, Volatile.Read(ref slot.Value));
        }
    }

    /// <summary>Whether each sale this node knows is sold out (over, and not by its closing time), for the metrics.</summary>
    internal IEnumerable<(string Sale, bool SoldOut)> SoldOut()
    {
        foreach (var (sale, entry) in _sales)
        {
            yield return (sale, entry.Reservations is not null && PhaseOf(entry.Schedule) != SalePhase.Closed);
        }
    }
}
