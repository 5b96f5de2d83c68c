namespace Spike.Actors.Inventory;

/// <summary>
/// The allotments a sale has handed to nodes. Pure bookkeeping: a lease is a filter in front of the
/// authority (Redis), never a second source of truth, so a stale entry can only make a node forward
/// requests that Redis then refuses — it can never oversell.
/// </summary>
public sealed class LeaseBook<THolder> where THolder : notnull
{
    private sealed class Lease
    {
        public long Amount;
        public DateTime LastActive;
    }

    private readonly Dictionary<THolder, Lease> _leases = [];

    /// <summary>Allotment handed out and not yet used or returned.</summary>
    public long Outstanding { get; private set; }

    public long AmountOf(THolder holder) => _leases.TryGetValue(holder, out var lease) ? lease.Amount : 0;

    /// <summary>Stock that no node holds: what can still be granted.</summary>
    public long Free(long available) => Math.Max(0, available - Outstanding);

    /// <summary>
    /// Grants up to <paramref name="wanted"/>, never more than is free, and at most half of what is
    /// free while other nodes hold leases too, so the last tickets stay spread over the live nodes.
    /// </summary>
    public int Grant(THolder holder, int wanted, long available, DateTime now)
    {
        var free = Free(available);
        var othersHold = _leases.Any(l => l.Value.Amount > 0 && !l.Key.Equals(holder));
        var cap = othersHold ? (free + 1) / 2 : free;
        var granted = (int)Math.Min(Math.Max(0, wanted), cap);
        var lease = Touch(holder, now);
        lease.Amount += granted;
        Outstanding += granted;
        return granted;
    }

    /// <summary>Tickets the holder sold: they leave its lease (and the authority's available count).</summary>
    public void Consume(THolder holder, long amount, DateTime now) => Take(holder, amount, now);

    /// <summary>Allotment the holder gave back unused.</summary>
    public void Return(THolder holder, long amount, DateTime now) => Take(holder, amount, now);

    /// <summary>Marks a holder active (it sent a batch) so its lease does not expire.</summary>
    public void MarkActive(THolder holder, DateTime now)
    {
        if (_leases.TryGetValue(holder, out var lease))
        {
            lease.LastActive = now;
        }
    }

    /// <summary>Removes the leases of holders matching <paramref name="predicate"/> and returns them.</summary>
    public IReadOnlyList<THolder> Reclaim(Func<THolder, bool> predicate)
    {
        var reclaimed = _leases.Keys.Where(predicate).ToList();
        foreach (var holder in reclaimed)
        {
            Outstanding -= _leases[holder].Amount;
            _leases.Remove(holder);
        }
        return reclaimed;
    }

    /// <summary>Removes leases idle since before <paramref name="cutoff"/>.</summary>
    public IReadOnlyList<THolder> Expire(DateTime cutoff) =>
        Reclaim(holder => _leases[holder].LastActive < cutoff);

    /// <summary>Holders that have allotment they might not be using.</summary>
    public IEnumerable<THolder> HoldersWithAllotment() => _leases.Where(l => l.Value.Amount > 0).Select(l => l.Key);

    private void Take(THolder holder, long amount, DateTime now)
    {
        if (!_leases.TryGetValue(holder, out var lease))
        {
            return;
        }
        var taken = Math.Min(lease.Amount, Math.Max(0, amount));
        lease.Amount -= taken;
        lease.LastActive = now;
        Outstanding -= taken;
    }

    private Lease Touch(THolder holder, DateTime now)
    {
        if (!_leases.TryGetValue(holder, out var lease))
        {
            lease = new Lease();
            _leases[holder] = lease;
        }
        lease.LastActive = now;
        return lease;
    }
}
