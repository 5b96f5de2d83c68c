using System.Collections.Concurrent;

namespace Spike.Actors.Stock;

/// <summary>
/// The node's sold-out flags, written only by the StockActors and read by the HTTP front, so a buyer
/// of a sold-out sale is answered without even a message to an actor. It mirrors the StockActor's own
/// flag; the actor stays the one that decides.
/// </summary>
public sealed class SoldOutBoard
{
    private readonly ConcurrentDictionary<string, bool> _soldOut = new(StringComparer.Ordinal);

    public bool IsSoldOut(string saleId) => _soldOut.TryGetValue(saleId, out var soldOut) && soldOut;

    internal void Set(string saleId, bool soldOut) => _soldOut[saleId] = soldOut;

    internal void Forget(string saleId) => _soldOut.TryRemove(saleId, out _);
}
