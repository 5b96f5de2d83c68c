namespace Spike.Actors.Inventory;

/// <summary>
/// The allotments a sale has handed to nodes. Pure bookkeeping: a lease is a filter in front of the
/// authority (Redis), never a second source of truth, so a stale entry can only make a node forward
/// requests that Redis then refuses — it can never oversell.
/// </summary>
/// <remarks>
/// The book follows what each holder really has instead of adding up what it was told: a holder reports
/// its allotment (<see cref="HolderState"/>) with every message, and the book counts, on top of that
/// report, what the holder cannot have counted yet — its batches still at the authority, and the grants
/// and give-backs sent to it after the last one it acknowledged. A restarted holder (a new incarnation)
/// starts from its own report. So allotment a node dropped, lost or never received cannot stay counted.
/// </remarks>
public sealed class LeaseBook<THolder> where THolder : notnull
{
    private sealed class Lease
    {
        public long Incarnation;
        public long Reported;
        public long Pending;
        public long NextSeq;
        /// <summary>Acknowledgements below this are older than a revocation: their reports no longer count.</summary>
        public long ReportsValidFrom;
        public readonly Queue<(long Seq, long Amount)> Unacknowledged = new();
        public long UnacknowledgedSum;
        public DateTime LastActive;

        public long Amount => Reported + Pending + UnacknowledgedSum;
    }

    private readonly Dictionary<THolder, Lease> _leases = [];

    /// <summary>Allotment that holders have, or have in flight.</summary>
    public long Outstanding => _leases.Values.Sum(l => l.Amount);

    public long AmountOf(THolder holder) => _leases.TryGetValue(holder, out var lease) ? lease.Amount : 0;

    /// <summary>Stock that no node holds: what can still be granted.</summary>
    public long Free(long available) => Math.Max(0, available - Outstanding);

    /// <summary>The incarnation the holder last reported (0 when unknown), which every message to it carries.</summary>
    public long IncarnationOf(THolder holder) => _leases.TryGetValue(holder, out var lease) ? lease.Incarnation : 0;

    /// <summary>What the holder says it has; a new incarnation replaces everything known about the old one.</summary>
    public void Report(THolder holder, HolderState state, DateTime now)
    {
        var lease = Touch(holder, now);
        if (lease.Incarnation != state.Incarnation)
        {
            lease.Incarnation = state.Incarnation;
            lease.Unacknowledged.Clear();
            lease.UnacknowledgedSum = 0;
            lease.ReportsValidFrom = 0;
            lease.Reported = Math.Max(0, state.Allotment);
            return;
        }
        while (lease.Unacknowledged.TryPeek(out var sent) && sent.Seq <= state.AckedSeq)
        {
            lease.Unacknowledged.Dequeue();
            lease.UnacknowledgedSum -= sent.Amount;
        }
        if (state.AckedSeq >= lease.ReportsValidFrom)
        {
            lease.Reported = Math.Max(0, state.Allotment);
        }
    }

    /// <summary>
    /// Grants up to <paramref name="wanted"/>, never more than is free, and at most half of what is
    /// free while other nodes hold leases too, so the last tickets stay spread over the live nodes —
    /// but never less than the holder's first waiting buyer lacks (<paramref name="needed"/> minus what
    /// the holder reported): a grant too small to serve that buyer would only sit idle while the buyer
    /// waits. Returns the amount and the sequence number the grant message must carry. A grant of nothing
    /// does not count as activity: it must not keep an unused lease alive.
    /// </summary>
    public (int Granted, long Seq) Grant(THolder holder, int wanted, int needed, long available, DateTime now)
    {
        var free = Free(available);
        var othersHold = _leases.Any(l => l.Value.Amount > 0 && !l.Key.Equals(holder));
        var cap = othersHold ? (free + 1) / 2 : free;
        var granted = Math.Min(Math.Max(0, wanted), cap);
        var lacking = Math.Max(0, needed - (_leases.TryGetValue(holder, out var known) ? known.Reported : 0));
        if (granted < lacking)
        {
            granted = lacking <= free ? lacking : 0;
        }
        var lease = granted > 0 ? Touch(holder, now) : LeaseOf(holder);
        return ((int)granted, Send(lease, granted));
    }

    /// <summary>A batch of the holder reached the authority's queue: it is in flight until answered.</summary>
    public void BatchArrived(THolder holder, long quantity, DateTime now) => Touch(holder, now).Pending += quantity;

    /// <summary>
    /// A batch was answered: it is no longer in flight; what comes back to the holder's allotment
    /// (<see cref="ItemOutcome.ReturnsAllotment"/>) counts until the holder acknowledges the answer.
    /// <paramref name="incarnation"/>: the batch's sender; an older incarnation will never apply the answer.
    /// Returns the sequence number the answer must carry.
    /// </summary>
    public long BatchAnswered(THolder holder, long incarnation, long quantity, long returned, DateTime now)
    {
        if (!_leases.TryGetValue(holder, out var lease))
        {
            return 0;
        }
        lease.Pending = Math.Max(0, lease.Pending - quantity);
        lease.LastActive = now;
        return Send(lease, lease.Incarnation == incarnation ? returned : 0);
    }

    /// <summary>Takes the holder's allotment away; returns the sequence number the revocation must carry.</summary>
    public long Revoke(THolder holder)
    {
        var lease = LeaseOf(holder);
        lease.Unacknowledged.Clear();
        lease.UnacknowledgedSum = 0;
        lease.Reported = 0;
        var seq = Send(lease, 0);
        lease.ReportsValidFrom = seq;
        return seq;
    }

    /// <summary>Forgets holders matching <paramref name="predicate"/> (stopped, or their node is gone) and returns them.</summary>
    public IReadOnlyList<THolder> Reclaim(Func<THolder, bool> predicate)
    {
        var reclaimed = _leases.Keys.Where(predicate).ToList();
        reclaimed.ForEach(holder => _leases.Remove(holder));
        return reclaimed;
    }

    /// <summary>Holders with allotment and no activity since before <paramref name="cutoff"/>.</summary>
    public IReadOnlyList<THolder> Idle(DateTime cutoff) =>
        _leases.Where(l => l.Value.Amount > 0 && l.Value.Pending == 0 && l.Value.LastActive < cutoff).Select(l => l.Key).ToList();

    /// <summary>Holders that have allotment they might give back (not counting what is in flight at the authority).</summary>
    public IEnumerable<THolder> HoldersWithAllotment() =>
        _leases.Where(l => l.Value.Reported + l.Value.UnacknowledgedSum > 0).Select(l => l.Key);

    private static long Send(Lease lease, long amount)
    {
        var seq = ++lease.NextSeq;
        if (amount != 0)
        {
            lease.Unacknowledged.Enqueue((seq, amount));
            lease.UnacknowledgedSum += amount;
        }
        return seq;
    }

    private Lease LeaseOf(THolder holder)
    {
        if (!_leases.TryGetValue(holder, out var lease))
        {
            lease = new Lease();
            _leases[holder] = lease;
        }
        return lease;
    }

    private Lease Touch(THolder holder, DateTime now)
    {
        var lease = LeaseOf(holder);
        lease.LastActive = now;
        return lease;
    }
}
