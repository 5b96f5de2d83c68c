using System.Collections.Concurrent;
using System.Collections.Frozen;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// What the HTTP front may answer without an actor message: sales that are sold out (with every
/// reservation of the sale, so that a reserved buyer's retry still gets its order) and sale ids known not
/// to exist. Written only by the StockActors and the StockManager; the actors stay the ones that decide.
/// </summary>
/// <remarks>
/// A sold-out sale costs its reservations (at most one per ticket, about 200 bytes each with 128-character
/// ids); unknown sale ids cost one entry each, at most <see cref="MaxUnknownSales"/>, for
/// <see cref="StockSettings.UnknownSaleTtl"/>.
/// </remarks>
public sealed class SaleBoard
{
    /// <summary>Unknown sale ids remembered at once; beyond it expired ones, then any, are dropped (their next buyer asks again).</summary>
    public const int MaxUnknownSales = 10_000;

    private readonly ConcurrentDictionary<string, FrozenDictionary<string, ItemOutcome>> _soldOut = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _unknownUntil = new(StringComparer.Ordinal);

    /// <summary>Between user and request id in a reservation's key: ids cannot hold line breaks.</summary>
    private const char KeySeparator = '\n';

    /// <summary>
    /// The answer for this request when the front can give it alone: the buyer's reservation or sold out
    /// for a sold-out sale, unknown sale for an id known not to exist. <paramref name="requestId"/> null:
    /// the request carries none, so it cannot be the retry of a reservation.
    /// </summary>
    public bool TryAnswer(string saleId, string userId, string? requestId, out ItemOutcome outcome)
    {
        if (_soldOut.TryGetValue(saleId, out var reservations))
        {
            outcome = (requestId is null ? null : Find(reservations, userId, requestId)) ?? ItemOutcome.SoldOut;
            return true;
        }
        if (_unknownUntil.TryGetValue(saleId, out var until) && Environment.TickCount64 < until)
        {
            outcome = ItemOutcome.UnknownSale;
            return true;
        }
        outcome = null!;
        return false;
    }

    /// <summary>The sale is sold out; these are all its reservations (one request id twice: the first counts).</summary>
    internal void SetSoldOut(string saleId, IEnumerable<ReservationEntry> reservations)
    {
        var table = new Dictionary<string, ItemOutcome>(StringComparer.Ordinal);
        foreach (var entry in reservations)
        {
            table.TryAdd(entry.UserId + KeySeparator + entry.RequestId, entry.Outcome);
        }
        _soldOut[saleId] = table.ToFrozenDictionary(StringComparer.Ordinal);
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

    internal void Reopen(string saleId) => _soldOut.TryRemove(saleId, out _);

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
}
