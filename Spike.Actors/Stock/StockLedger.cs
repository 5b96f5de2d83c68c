using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// The buyers one StockActor holds and the allotment they draw on: waiting for allotment, deducted and
/// queued for the next batch, or in a batch at the authority. Pure bookkeeping — no messages, no timers —
/// so the rules are plain table tests; the actor routes messages to it and sends what it hands out.
/// Every buyer that enters ends with exactly one answer (its <see cref="Buy.Completion"/>), and allotment
/// moves only by the rules here: deducted per buyer, back when <see cref="ItemOutcome.ReturnsAllotment"/>
/// or when the buyer never left the node.
/// </summary>
public sealed class StockLedger
{
    private readonly Queue<Buy> _waiting = new();
    private readonly Dictionary<long, List<Buy>> _inFlight = [];
    private List<Buy> _next = [];
    /// <summary>Buyers taken while <see cref="Unmetered"/>: they drew no allotment, so none goes back for them.</summary>
    private readonly HashSet<Buy> _unmetered = new(ReferenceEqualityComparer.Instance);
    private long _lastBatchId;

    /// <summary>Tickets this node may still sell (not counting those in batches).</summary>
    public int Allotment { get; private set; }

    /// <summary>
    /// Buyers are taken without allotment: the node sells against the authority directly (Redis decides
    /// every request) while the lease holder cannot answer.
    /// </summary>
    public bool Unmetered { get; set; }

    public int WaitingCount => _waiting.Count;

    public int BatchesInFlight => _inFlight.Count;

    /// <summary>Quantity of the first buyer waiting for allotment, if any.</summary>
    public int? FirstWaitingQuantity => _waiting.TryPeek(out var first) ? first.Item.Quantity : null;

    public bool HasBuyers => _waiting.Count + _next.Count + _inFlight.Count > 0;

    /// <summary>Deducts the buyer's tickets and queues it for the next batch; refuses when someone waits already (first come, first served) or the allotment is short.</summary>
    public bool TryTake(Buy buy) => _waiting.Count == 0 && TryDeduct(buy);

    public void Wait(Buy buy) => _waiting.Enqueue(buy);

    /// <summary>Queues the buyer for the next batch without allotment: the authority decides it alone.</summary>
    public void TakeUnmetered(Buy buy)
    {
        _unmetered.Add(buy);
        _next.Add(buy);
    }

    /// <summary>Queues every waiting buyer not answered yet for the next batch, without allotment, in order.</summary>
    public void TakeWaitingUnmetered()
    {
        while (_waiting.TryDequeue(out var buy))
        {
            if (!buy.IsAnswered)
            {
                TakeUnmetered(buy);
            }
        }
    }

    public void Grant(int amount) => Allotment += Math.Max(0, amount);

    /// <summary>Gives up all allotment (returned to the authority, or revoked by it); returns how much.</summary>
    public int Release()
    {
        var released = Allotment;
        Allotment = 0;
        return released;
    }

    /// <summary>
    /// Moves waiting buyers to the next batch while the allotment covers them, in order. Buyers already
    /// answered are dropped; those above <paramref name="perUserLimit"/> are refused.
    /// </summary>
    public void ServeWaiting(int perUserLimit)
    {
        while (_waiting.TryPeek(out var buy))
        {
            if (buy.IsAnswered)
            {
                _waiting.Dequeue();
            }
            else if (buy.Item.Quantity > perUserLimit)
            {
                _waiting.Dequeue().Completion.TrySetResult(ItemOutcome.QuantityAboveLimit);
            }
            else if (TryDeduct(buy))
            {
                _waiting.Dequeue();
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>
    /// Refuses waiting buyers who ask for more than the sale has left, or more than its per-user limit:
    /// a final answer, not a wait.
    /// </summary>
    public void RefuseAbove(long available, int perUserLimit)
    {
        if (_waiting.All(buy => buy.Item.Quantity <= available && buy.Item.Quantity <= perUserLimit))
        {
            return;
        }
        var waiting = _waiting.ToList();
        _waiting.Clear();
        foreach (var buy in waiting)
        {
            if (buy.Item.Quantity > perUserLimit)
            {
                buy.Completion.TrySetResult(ItemOutcome.QuantityAboveLimit);
            }
            else if (buy.Item.Quantity > available)
            {
                buy.Completion.TrySetResult(ItemOutcome.NotEnough(available));
            }
            else
            {
                _waiting.Enqueue(buy);
            }
        }
    }

    /// <summary>Answers every waiting buyer created at or before <paramref name="cutoff"/> (or already answered): they waited long enough.</summary>
    public void ExpireWaiting(long cutoff)
    {
        while (_waiting.TryPeek(out var buy) && (buy.CreatedAt <= cutoff || buy.IsAnswered))
        {
            _waiting.Dequeue().Completion.TrySetResult(ItemOutcome.Unavailable);
        }
    }

    /// <summary>Answers every buyer waiting for allotment with <paramref name="answer"/>.</summary>
    public void AnswerWaiting(Func<Buy, ItemOutcome> answer)
    {
        while (_waiting.TryDequeue(out var buy))
        {
            buy.Completion.TrySetResult(answer(buy));
        }
    }

    /// <summary>
    /// Takes the next batches to send, while fewer than <paramref name="maxInFlight"/> are out: at most
    /// <paramref name="maxItems"/> buyers and <see cref="WireLimits.MaxBatchBytes"/> each. Buyers answered
    /// meanwhile (their HTTP deadline passed) are left out and their tickets go back.
    /// </summary>
    public IReadOnlyList<(long BatchId, IReadOnlyList<ReserveItem> Items)> TakeBatches(int maxInFlight, int maxItems)
    {
        var batches = new List<(long, IReadOnlyList<ReserveItem>)>();
        while (_next.Count > 0 && _inFlight.Count < maxInFlight)
        {
            var buys = new List<Buy>();
            var bytes = 0;
            var taken = 0;
            foreach (var buy in _next)
            {
                if (buys.Count >= maxItems || (buys.Count > 0 && bytes + WireLimits.ItemBytes(buy.Item) > WireLimits.MaxBatchBytes))
                {
                    break;
                }
                taken++;
                if (buy.IsAnswered)
                {
                    GiveBack(buy);
                    continue;
                }
                buys.Add(buy);
                bytes += WireLimits.ItemBytes(buy.Item);
            }
            _next = taken == _next.Count ? [] : _next[taken..];
            if (buys.Count == 0)
            {
                continue;
            }
            var batchId = ++_lastBatchId;
            _inFlight[batchId] = buys;
            batches.Add((batchId, buys.ConvertAll(b => b.Item)));
        }
        return batches;
    }

    /// <summary>
    /// Answers a batch's buyers from its outcomes and takes back what <see cref="ItemOutcome.ReturnsAllotment"/>.
    /// No outcomes: the batch's outcome is unknown (timed out), its buyers retry with their request ids and its
    /// tickets come back. False when the batch is not in flight (answered already: a late second answer).
    /// </summary>
    public bool Complete(long batchId, IReadOnlyList<ItemOutcome> outcomes)
    {
        if (!_inFlight.Remove(batchId, out var buys))
        {
            return false;
        }
        for (var i = 0; i < buys.Count; i++)
        {
            var outcome = i < outcomes.Count ? outcomes[i] : ItemOutcome.Unavailable;
            if (outcome.ReturnsAllotment)
            {
                GiveBack(buys[i]);
            }
            _unmetered.Remove(buys[i]);
            buys[i].Completion.TrySetResult(outcome);
        }
        return true;
    }

    /// <summary>The buyers of a batch in flight, in its order (empty when it is not in flight).</summary>
    public IReadOnlyList<Buy> BuyersOf(long batchId) => _inFlight.TryGetValue(batchId, out var buys) ? buys : [];

    /// <summary>The items of a batch in flight, in its order (empty when it is not in flight).</summary>
    public IReadOnlyList<ReserveItem> ItemsOf(long batchId) =>
        _inFlight.TryGetValue(batchId, out var buys) ? buys.ConvertAll(b => b.Item) : [];

    /// <summary>The actor stops: every buyer it holds is told to retry.</summary>
    public void AnswerAll(ItemOutcome outcome)
    {
        foreach (var buy in _waiting.Concat(_next).Concat(_inFlight.Values.SelectMany(b => b)))
        {
            buy.Completion.TrySetResult(outcome);
        }
        _waiting.Clear();
        _next = [];
        _inFlight.Clear();
        _unmetered.Clear();
    }

    private bool TryDeduct(Buy buy)
    {
        if (Unmetered)
        {
            TakeUnmetered(buy);
            return true;
        }
        if (Allotment < buy.Item.Quantity)
        {
            return false;
        }
        Allotment -= buy.Item.Quantity;
        _next.Add(buy);
        return true;
    }

    private void GiveBack(Buy buy)
    {
        if (!_unmetered.Remove(buy))
        {
            Allotment += buy.Item.Quantity;
        }
    }
}
