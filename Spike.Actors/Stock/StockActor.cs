using Akka.Actor;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// One per sale per node. Holds the node's allotment (a lease from the sale's InventoryActor) and
/// a sold-out flag; its mailbox serializes deductions, so there are no locks. Requests are collected
/// into batches — one message per batch to the InventoryActor — and each buyer is completed from its
/// item's outcome. Allotment comes back when the authority refuses or fails (the article burnt it).
/// After sell-out every buyer is answered here, without the network or Redis.
/// </summary>
public sealed class StockActor : ReceiveActor, IWithTimers
{
    public static Props Props(string saleId, IActorRef inventory, StockSettings settings, SoldOutBoard board) =>
        Akka.Actor.Props.Create(() => new StockActor(saleId, inventory, settings, board));

    private sealed record BatchTimedOut(long BatchId);

    private sealed class LeaseTimedOut
    {
        public static readonly LeaseTimedOut Instance = new();
    }

    /// <summary>Ticks only while buyers wait for allotment; does not keep an idle actor alive.</summary>
    private sealed class ExpireWaiting : INotInfluenceReceiveTimeout
    {
        public static readonly ExpireWaiting Instance = new();
    }

    private static readonly TimeSpan ExpiryCheckInterval = TimeSpan.FromMilliseconds(250);

    private readonly string _saleId;
    private readonly IActorRef _inventory;
    private readonly StockSettings _settings;
    private readonly SoldOutBoard _board;
    private readonly Queue<Buy> _waitingForAllotment = new();
    private readonly Dictionary<long, List<Buy>> _inFlight = [];
    private readonly Dictionary<long, List<Buy>> _resolving = [];
    private List<Buy> _nextBatch = [];
    private List<Buy> _nextResolve = [];
    private long _nextBatchId;
    private int _allotment;
    private int? _perUserLimit;
    private bool _soldOut;
    private bool _leaseRequested;
    private bool _leaseRequestStarving;
    private DateTime _unknownSaleUntil = DateTime.MinValue;

    public ITimerScheduler Timers { get; set; } = null!;

    public StockActor(string saleId, IActorRef inventory, StockSettings settings, SoldOutBoard board)
    {
        _saleId = saleId;
        _inventory = inventory;
        _settings = settings;
        _board = board;

        Receive<Buy>(OnBuy);
        Receive<BatchReserved>(OnBatchReserved);
        Receive<BatchTimedOut>(timedOut =>
        {
            if (_inFlight.Remove(timedOut.BatchId, out var buys))
            {
                // The outcome is unknown: the buyers retry with their request ids, which Redis resolves.
                foreach (var buy in buys)
                {
                    GiveBack(buy);
                    buy.Completion.TrySetResult(ItemOutcome.Unavailable);
                }
            }
            else if (_resolving.Remove(timedOut.BatchId, out var retries))
            {
                retries.ForEach(r => r.Completion.TrySetResult(ItemOutcome.Unavailable));
            }
            FlushBatches();
        });

        Receive<LeaseGranted>(granted =>
        {
            LeaseAnswered();
            _perUserLimit = granted.PerUserLimit;
            if (granted.SoldOut)
            {
                MarkSoldOut();
                return;
            }
            SetSoldOut(false);
            _allotment += granted.Granted;
            ServeWaiting();
        });
        Receive<SaleUnknown>(_ =>
        {
            LeaseAnswered();
            _unknownSaleUntil = DateTime.UtcNow + _settings.UnknownSaleTtl;
            AnswerWaiting(ItemOutcome.UnknownSale);
        });
        Receive<LeaseUnavailable>(_ =>
        {
            LeaseAnswered();
            AnswerWaiting(ItemOutcome.Unavailable);
        });
        Receive<LeaseTimedOut>(_ =>
        {
            _leaseRequested = false;
            AnswerWaiting(ItemOutcome.Unavailable);
        });
        Receive<ReleaseLease>(_ =>
        {
            if (_allotment > 0)
            {
                _inventory.Tell(new LeaseReturned(_saleId, _allotment, Self));
                _allotment = 0;
            }
        });
        Receive<LeaseRevoked>(_ =>
        {
            _allotment = 0;
            ServeWaiting();
        });
        Receive<SaleStatusChanged>(status =>
        {
            if (status.SoldOut)
            {
                MarkSoldOut();
            }
            else
            {
                SetSoldOut(false);
            }
        });
        Receive<ExpireWaiting>(_ =>
        {
            var cutoff = Environment.TickCount64 - (long)_settings.MaxWait.TotalMilliseconds;
            while (_waitingForAllotment.TryPeek(out var buy) && (buy.CreatedAt < cutoff || buy.Completion.Task.IsCompleted))
            {
                _waitingForAllotment.Dequeue().Completion.TrySetResult(ItemOutcome.Unavailable);
            }
            if (_waitingForAllotment.Count == 0)
            {
                Timers.Cancel(nameof(ExpireWaiting));
            }
        });
        Receive<ReceiveTimeout>(_ => Context.Parent.Tell(new StockManagerActor.ChildIdle(_saleId)));
        Receive<StockManagerActor.StopIfIdle>(_ =>
        {
            if (HasBuyersPending)
            {
                Context.Parent.Tell(new StockManagerActor.StayingAlive(_saleId));
            }
            else
            {
                Context.Stop(Self);
            }
        });
    }

    private bool HasBuyersPending =>
        _waitingForAllotment.Count + _nextBatch.Count + _inFlight.Count + _resolving.Count + _nextResolve.Count > 0;

    protected override void PreStart() => SetReceiveTimeout(_settings.IdleTimeout);

    /// <summary>Stopped or restarting after a fault: every buyer still waiting is told to retry.</summary>
    protected override void PostStop()
    {
        _board.Forget(_saleId);
        var pending = _waitingForAllotment.Concat(_nextBatch).Concat(_nextResolve)
            .Concat(_inFlight.Values.SelectMany(b => b)).Concat(_resolving.Values.SelectMany(b => b));
        foreach (var buy in pending)
        {
            buy.Completion.TrySetResult(ItemOutcome.Unavailable);
        }
    }

    private void OnBuy(Buy buy)
    {
        var quantity = buy.Item.Quantity;
        if (_soldOut)
        {
            AnswerSoldOut(buy);
        }
        else if (DateTime.UtcNow < _unknownSaleUntil)
        {
            buy.Completion.TrySetResult(ItemOutcome.UnknownSale);
        }
        else if (quantity > _perUserLimit)
        {
            buy.Completion.TrySetResult(ItemOutcome.QuantityAboveLimit);
        }
        else if (_waitingForAllotment.Count == 0 && TryDeduct(buy))
        {
            FlushBatches();
            TopUpWhenLow();
        }
        else if (_waitingForAllotment.Count >= _settings.MaxWaiting)
        {
            buy.Completion.TrySetResult(ItemOutcome.Busy);
        }
        else
        {
            if (_waitingForAllotment.Count == 0)
            {
                Timers.StartPeriodicTimer(nameof(ExpireWaiting), ExpireWaiting.Instance, ExpiryCheckInterval);
            }
            _waitingForAllotment.Enqueue(buy);
            RequestLease();
        }
    }

    /// <summary>Takes the buyer's tickets from the allotment: a node can sell all of it, not one less.</summary>
    private bool TryDeduct(Buy buy)
    {
        if (_allotment < buy.Item.Quantity)
        {
            return false;
        }
        _allotment -= buy.Item.Quantity;
        _nextBatch.Add(buy);
        return true;
    }

    private void GiveBack(Buy buy) => _allotment += buy.Item.Quantity;

    private void FlushBatches()
    {
        while (_nextBatch.Count > 0 && _inFlight.Count < _settings.MaxBatchesInFlight)
        {
            var buys = _nextBatch.Count <= _settings.MaxBatchSize ? _nextBatch : _nextBatch[.._settings.MaxBatchSize];
            _nextBatch = buys == _nextBatch ? [] : _nextBatch[_settings.MaxBatchSize..];
            var batchId = ++_nextBatchId;
            _inFlight[batchId] = buys;
            Timers.StartSingleTimer(batchId, new BatchTimedOut(batchId), _settings.BatchTimeout);
            var items = buys.ConvertAll(b => b.Item);
            _inventory.Tell(new ReserveBatch(_saleId, batchId, items, Self));
        }
        if (_nextResolve.Count > 0 && _resolving.Count == 0)
        {
            var batchId = ++_nextBatchId;
            _resolving[batchId] = _nextResolve;
            Timers.StartSingleTimer(batchId, new BatchTimedOut(batchId), _settings.BatchTimeout);
            _inventory.Tell(new ResolveBatch(_saleId, batchId, _nextResolve.ConvertAll(b => b.Item), Self));
            _nextResolve = [];
        }
    }

    /// <summary>
    /// After sell-out a first attempt is answered here (invariant 6); a possible retry is looked up,
    /// batched, so that a buyer who was reserved gets the same answer again (invariant 5).
    /// </summary>
    private void AnswerSoldOut(Buy buy)
    {
        if (buy.MayBeRetry)
        {
            _nextResolve.Add(buy);
            FlushBatches();
        }
        else
        {
            buy.Completion.TrySetResult(ItemOutcome.SoldOut);
        }
    }

    private void OnBatchReserved(BatchReserved reserved)
    {
        if (_resolving.Remove(reserved.BatchId, out var retries))
        {
            Timers.Cancel(reserved.BatchId);
            for (var i = 0; i < retries.Count; i++)
            {
                retries[i].Completion.TrySetResult(reserved.Outcomes[i]);
            }
            FlushBatches();
            return;
        }
        if (!_inFlight.Remove(reserved.BatchId, out var buys))
        {
            return; // timed out already; its buyers were told to retry
        }
        Timers.Cancel(reserved.BatchId);
        for (var i = 0; i < buys.Count; i++)
        {
            var outcome = reserved.Outcomes[i];
            switch (outcome.Status)
            {
                case ReserveStatus.Reserved:
                    break;
                case ReserveStatus.SoldOut:
                    // The authority has less than this node's lease says; the lease is stale, not lent back.
                    break;
                case ReserveStatus.UnknownSale:
                    _allotment = 0;
                    _unknownSaleUntil = DateTime.UtcNow + _settings.UnknownSaleTtl;
                    break;
                default:
                    GiveBack(buys[i]);
                    break;
            }
            buys[i].Completion.TrySetResult(outcome);
        }
        ServeWaiting();
        FlushBatches();
    }

    private void ServeWaiting()
    {
        while (_waitingForAllotment.TryPeek(out var buy))
        {
            if (buy.Completion.Task.IsCompleted)
            {
                _waitingForAllotment.Dequeue(); // its HTTP deadline passed: it was answered already
            }
            else if (buy.Item.Quantity > _perUserLimit)
            {
                _waitingForAllotment.Dequeue().Completion.TrySetResult(ItemOutcome.QuantityAboveLimit);
            }
            else if (TryDeduct(buy))
            {
                _waitingForAllotment.Dequeue();
            }
            else
            {
                break;
            }
        }
        FlushBatches();
        if (_waitingForAllotment.Count > 0)
        {
            RequestLease();
        }
        else
        {
            TopUpWhenLow();
        }
    }

    private void TopUpWhenLow()
    {
        if (_allotment < _settings.LeaseChunk / 4)
        {
            RequestLease();
        }
    }

    /// <summary>Asks for allotment: a top-up while some is left, or — with buyers waiting — a starving request.</summary>
    private void RequestLease()
    {
        var starving = _waitingForAllotment.Count > 0;
        if (_soldOut || (_leaseRequested && (_leaseRequestStarving || !starving)))
        {
            return;
        }
        if (!_leaseRequested)
        {
            Timers.StartSingleTimer(nameof(LeaseTimedOut), LeaseTimedOut.Instance, _settings.LeaseTimeout);
        }
        _leaseRequested = true;
        _leaseRequestStarving = starving;
        _inventory.Tell(new AcquireLease(_saleId, _settings.LeaseChunk, Self, starving));
    }

    private void LeaseAnswered()
    {
        _leaseRequested = false;
        Timers.Cancel(nameof(LeaseTimedOut));
    }

    private void MarkSoldOut()
    {
        SetSoldOut(true);
        while (_waitingForAllotment.TryDequeue(out var buy))
        {
            AnswerSoldOut(buy);
        }
    }

    private void SetSoldOut(bool soldOut)
    {
        _soldOut = soldOut;
        _board.Set(_saleId, soldOut);
    }

    private void AnswerWaiting(ItemOutcome outcome)
    {
        while (_waitingForAllotment.TryDequeue(out var buy))
        {
            buy.Completion.TrySetResult(outcome);
        }
    }
}
