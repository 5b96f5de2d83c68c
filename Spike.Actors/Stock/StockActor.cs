using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Event;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

/// <summary>
/// One per sale per node. Holds the node's allotment (a lease from the sale's InventoryActor) and its
/// buyers (<see cref="StockLedger"/>); its mailbox serializes deductions, so there are no locks. Requests
/// are collected into batches — one message per batch to the InventoryActor — and each buyer is
/// completed from its item's outcome. Once the sale is over (sold out, or closed by its schedule) the node keeps
/// the sale's reservations on its <see cref="SaleBoard"/>, so that every later buyer is answered by the HTTP
/// front without the network or Redis, and a reserved buyer's retry still gets its order. The sale's schedule
/// comes with every lease and status; before the opening the board and this actor answer "not open" by the
/// node's clock, and Redis refuses by its own clock whatever a node's clock says.
/// </summary>
public sealed class StockActor : ReceiveActor, IWithTimers
{
    public static Props Props(string saleId, IActorRef inventory, IInventoryStore store, StockSettings settings, SaleBoard board) =>
        Akka.Actor.Props.Create(() => new StockActor(saleId, inventory, store, settings, board));

    private enum Phase
    {
        Selling,
        /// <summary>
        /// Over (sold out or closed); the reservations are being read. Meanwhile the store answers buyers directly (a
        /// list of a hundred thousand reservations takes a while to read), one batch per call as when selling.
        /// </summary>
        LoadingReservations,
        /// <summary>Over (sold out or closed); the board answers every buyer.</summary>
        Over,
    }

    private sealed record BatchTimedOut(long BatchId);

    /// <summary>A batch sent to the InventoryActor is still unanswered after <see cref="StockSettings.FallbackAfter"/>.</summary>
    private sealed record BatchSlow(long BatchId);

    private sealed record DirectBatchRan(long BatchId, ReserveBatchResult Result);

    private sealed record DirectBatchFailed(long BatchId, Exception Cause);

    private sealed record ReservationsLoaded(SaleReservations Reservations);

    private sealed class LoadReservations
    {
        public static readonly LoadReservations Instance = new();
    }

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
    private readonly IInventoryStore _store;
    private readonly StockSettings _settings;
    private readonly SaleBoard _board;
    private readonly StrongBox<long> _allotmentSlot;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly StockLedger _ledger = new();
    /// <summary>This instance's identity towards the lease book: a restarted actor starts with nothing.</summary>
    private readonly long _incarnation = Random.Shared.NextInt64(1, long.MaxValue);
    private long _ackedSeq;
    /// <summary>Spans of the batches in flight whose buyers are traced (<see cref="SpikeTracing.StartStockBatch"/>); created on the first one.</summary>
    private Dictionary<long, Activity>? _batchSpans;
    /// <summary>Until the first lease says the sale's own: the highest any sale may have.</summary>
    private int _perUserLimit = SaleLimits.MaxPerUserLimit;
    private Phase _phase = Phase.Selling;
    private long _loadedReservationSeq = -1;
    /// <summary>The newest reservation sequence a direct call or the sale's status reported: a list read before it misses some.</summary>
    private long _newestReservationSeq;
    private bool _leaseRequested;
    private bool _leaseRequestStarving;
    /// <summary>Until the first lease or status says otherwise: open, never closing (Redis refuses by the real one).</summary>
    private SaleSchedule _schedule;
    private bool _scheduleLearned;
    private IDisposable? _mailboxRegistration;

    public ITimerScheduler Timers { get; set; } = null!;

    public StockActor(string saleId, IActorRef inventory, IInventoryStore store, StockSettings settings, SaleBoard board)
    {
        _saleId = saleId;
        _inventory = inventory;
        _store = store;
        _settings = settings;
        _board = board;
        _allotmentSlot = board.TrackAllotment(saleId);

        Receive<Buy>(OnBuy);
        Receive<BatchReserved>(reserved =>
        {
            if (Accept(reserved))
            {
                BatchAnswered(reserved.BatchId, reserved.Outcomes);
            }
        });
        // The outcome is unknown: the buyers retry with their request ids, which Redis resolves.
        Receive<BatchTimedOut>(timedOut => BatchAnswered(timedOut.BatchId, []));
        Receive<BatchSlow>(slow =>
        {
            // The InventoryActor may be gone (its node died, its shard is moving): Redis decides every
            // request anyway, and the script is idempotent per request id, so the same batch may run
            // here too; whichever answer comes first completes the buyers.
            var items = _ledger.ItemsOf(slow.BatchId);
            if (items.Count > 0)
            {
                SellDirectly($"a batch was not answered within {_settings.FallbackAfter.TotalMilliseconds} ms");
                RunDirect(slow.BatchId, items);
            }
        });
        Receive<DirectBatchRan>(ran =>
        {
            _newestReservationSeq = Math.Max(_newestReservationSeq, ran.Result.ReservationSeq);
            if (ran.Result.SaleKnown && ran.Result.Available <= 0 && _phase == Phase.Selling)
            {
                BeginOver(); // no InventoryActor broadcasts it
            }
            else if (_phase == Phase.Over && ran.Result.ReservationSeq > _loadedReservationSeq)
            {
                BeginOver(); // it reserved while the list was read (the sale was back in stock): read it again
            }
            BatchAnswered(ran.BatchId, ran.Result.Outcomes);
        });
        Receive<DirectBatchFailed>(failed =>
        {
            _log.Warning("Selling sale {SaleId} directly failed: {Reason}", _saleId, failed.Cause.Message);
            BatchAnswered(failed.BatchId, []);
        });

        Receive<LeaseGranted>(granted =>
        {
            if (!Accept(granted))
            {
                return;
            }
            LeaseAnswered();
            LeaveDirect();
            _perUserLimit = granted.PerUserLimit;
            Learn(granted.Schedule);
            if (granted.SoldOut || PhaseNow() == SalePhase.Closed)
            {
                if (_phase == Phase.Selling)
                {
                    BeginOver();
                }
                return;
            }
            Reopen();
            _ledger.Grant(granted.Granted);
            if (!AnsweredNotOpen())
            {
                _ledger.RefuseAbove(granted.Available, _perUserLimit);
                ServeWaiting();
            }
        });
        Receive<SaleUnknown>(_ =>
        {
            LeaseAnswered();
            BecomeUnknown();
        });
        Receive<LeaseUnavailable>(_ =>
        {
            LeaseAnswered();
            _ledger.AnswerWaiting(_ => ItemOutcome.Unavailable);
        });
        Receive<LeaseTimedOut>(_ =>
        {
            // The request or its answer may have been lost (a shard moving): ask again. Buyers waiting
            // for allotment are sold directly against the store meanwhile.
            _leaseRequested = false;
            if (_ledger.WaitingCount > 0)
            {
                SellDirectly($"a lease request was not answered within {_settings.LeaseTimeout.TotalMilliseconds} ms");
            }
            RequestLease();
        });
        Receive<ReleaseLease>(_ =>
        {
            _ledger.Release();
            _inventory.Tell(new LeaseReturned(_saleId, Self, State()));
        });
        Receive<LeaseRevoked>(revoked =>
        {
            if (Accept(revoked))
            {
                // Revoked for idleness: the next buyer asks for allotment again. A top-up now would only be revoked
                // again, a lease round every sweep for as long as the sale lasts.
                _ledger.Release();
                if (_ledger.WaitingCount > 0)
                {
                    ServeWaiting();
                }
            }
        });
        Receive<SaleStatusChanged>(status =>
        {
            _perUserLimit = status.PerUserLimit;
            _newestReservationSeq = Math.Max(_newestReservationSeq, status.ReservationSeq);
            Learn(status.Schedule);
            if (!status.SoldOut && PhaseNow() != SalePhase.Closed)
            {
                Reopen();
                // Only for buyers waiting: with none, a top-up would follow every periodic status.
                if (!AnsweredNotOpen() && _ledger.WaitingCount > 0)
                {
                    ServeWaiting();
                }
            }
            else if (_phase == Phase.Selling || (_phase == Phase.Over && status.ReservationSeq > _loadedReservationSeq))
            {
                BeginOver();
            }
        });

        Receive<SaleDeleted>(_ =>
        {
            // Its reservations and schedule go from the board and from here; buyers are told the sale does not exist.
            _board.Forget(_saleId);
            (_schedule, _scheduleLearned) = (default, false);
            BecomeUnknown();
        });

        Receive<LoadReservations>(_ =>
        {
            if (_phase == Phase.LoadingReservations)
            {
                _store.GetReservationsAsync(_saleId).PipeTo(Self, success: loaded => new ReservationsLoaded(loaded));
            }
        });
        Receive<ReservationsLoaded>(loaded =>
        {
            if (_phase == Phase.Selling)
            {
                return; // back in stock meanwhile
            }
            if (loaded.Reservations.ReservationSeq < _newestReservationSeq)
            {
                Self.Tell(LoadReservations.Instance); // a direct call reserved after this list was read
                return;
            }
            _phase = Phase.Over;
            _loadedReservationSeq = loaded.Reservations.ReservationSeq;
            _board.SetOver(_saleId, loaded.Reservations.Entries);
            _ledger.AnswerWaiting(AnswerOver);
        });
        Receive<Status.Failure>(failure =>
        {
            // Reading the reservations failed: the store goes on answering buyers directly; try again shortly.
            _log.Warning("Reading the reservations of sale {SaleId}, which is over, failed: {Reason}", _saleId, failure.Cause.Message);
            Timers.StartSingleTimer(nameof(LoadReservations), LoadReservations.Instance, _settings.LeaseTimeout);
        });

        Receive<ExpireWaiting>(_ =>
        {
            _ledger.ExpireWaiting(Environment.TickCount64 - (long)_settings.MaxWait.TotalMilliseconds);
            if (_ledger.WaitingCount == 0)
            {
                Timers.Cancel(nameof(ExpireWaiting));
            }
        });
        Receive<ReceiveTimeout>(_ => Context.Parent.Tell(new StockManagerActor.ChildIdle(_saleId)));
        Receive<StockManagerActor.StopIfIdle>(_ =>
        {
            if (_ledger.HasBuyers)
            {
                Context.Parent.Tell(new StockManagerActor.StayingAlive(_saleId));
            }
            else
            {
                Context.Stop(Self);
            }
        });
    }

    protected override void PreStart()
    {
        _mailboxRegistration = SpikeMetrics.ObserveMailbox(SpikeMetrics.StockActorKind, _saleId, Context);
        SetReceiveTimeout(_settings.IdleTimeout);
    }

    /// <summary>Publishes the allotment after every message: one write, and the gauge never asks this actor.</summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        Volatile.Write(ref _allotmentSlot.Value, _ledger.Allotment);
        return handled;
    }

    /// <summary>Stopped or restarting after a fault: every buyer still held is told to retry.</summary>
    protected override void PostStop()
    {
        _mailboxRegistration?.Dispose();
        _board.Forget(_saleId);
        _board.ForgetAllotment(_saleId, _allotmentSlot);
        _ledger.AnswerAll(ItemOutcome.Unavailable);
        if (_batchSpans is null)
        {
            return;
        }
        foreach (var span in _batchSpans.Values)
        {
            SpikeTracing.StopDetached(span.SetStatus(ActivityStatusCode.Error, "the StockActor stopped"));
        }
    }

    private HolderState State() => new(_incarnation, _ackedSeq, _ledger.Allotment);

    /// <summary>Whether a numbered lease message is meant for this incarnation; acknowledges it if so.</summary>
    private bool Accept(ILeaseStamped message)
    {
        if (message.Incarnation != _incarnation)
        {
            return false;
        }
        _ackedSeq = message.Seq;
        return true;
    }

    private void OnBuy(Buy buy)
    {
        var phase = PhaseNow();
        if (phase == SalePhase.NotOpen)
        {
            buy.Completion.TrySetResult(ItemOutcome.NotOpen(_schedule.OpensAtUnixMs!.Value));
            return;
        }
        if (phase == SalePhase.Closed && _phase == Phase.Selling)
        {
            BeginOver();
        }
        if (_phase == Phase.Over)
        {
            buy.Completion.TrySetResult(AnswerOver(buy));
        }
        else if (buy.Item.Quantity > _perUserLimit)
        {
            buy.Completion.TrySetResult(ItemOutcome.QuantityAboveLimit);
        }
        else if (_phase == Phase.Selling && _ledger.TryTake(buy))
        {
            FlushBatches();
            TopUpWhenLow();
        }
        else if (_phase == Phase.LoadingReservations)
        {
            _ledger.TakeUnmetered(buy);
            FlushBatches();
        }
        else if (_board.TryAnswer(_saleId, buy.Item.UserId, buy.Item.RequestId, out var known))
        {
            buy.Completion.TrySetResult(known); // the sale does not exist, and the buyer was on its way here meanwhile
        }
        else if (_ledger.WaitingCount >= _settings.MaxWaiting)
        {
            buy.Completion.TrySetResult(ItemOutcome.Busy);
        }
        else
        {
            if (_ledger.WaitingCount == 0)
            {
                Timers.StartPeriodicTimer(nameof(ExpireWaiting), ExpireWaiting.Instance, ExpiryCheckInterval);
            }
            _ledger.Wait(buy);
            RequestLease();
        }
    }

    /// <summary>The board holds the sale's reservations: the buyer's own, else closed or sold out.</summary>
    private ItemOutcome AnswerOver(Buy buy)
    {
        _board.TryAnswer(_saleId, buy.Item.UserId, buy.Item.RequestId, out var outcome);
        return outcome ?? ItemOutcome.SoldOut;
    }

    private SalePhase PhaseNow() => _board.PhaseOf(_schedule);

    /// <summary>The schedule as the authority last told it; the board answers by it from now on.</summary>
    private void Learn(SaleSchedule schedule)
    {
        if (!_scheduleLearned || schedule != _schedule)
        {
            _schedule = schedule;
            _scheduleLearned = true;
            _board.SetSchedule(_saleId, schedule);
        }
    }

    /// <summary>Buyers who waited for a lease before the schedule was known: told when the sale opens.</summary>
    private bool AnsweredNotOpen()
    {
        if (PhaseNow() != SalePhase.NotOpen)
        {
            return false;
        }
        _ledger.AnswerWaiting(_ => ItemOutcome.NotOpen(_schedule.OpensAtUnixMs!.Value));
        return true;
    }

    private void FlushBatches()
    {
        var maxItems = Math.Min(_settings.MaxBatchSize, WireLimits.MaxItemsPerBatch(_saleId));
        foreach (var (batchId, items) in _ledger.TakeBatches(_settings.MaxBatchesInFlight, maxItems))
        {
            SpikeMetrics.StockBatchSize.Record(items.Count, new KeyValuePair<string, object?>(SpikeMetrics.SaleTag, _saleId));
            Timers.StartSingleTimer(batchId, new BatchTimedOut(batchId), _settings.BatchTimeout);
            var span = SpikeTracing.StartStockBatch(_saleId, _ledger.BuyersOf(batchId));
            if (span is not null)
            {
                (_batchSpans ??= [])[batchId] = span;
            }
            if (_ledger.Unmetered || _phase == Phase.LoadingReservations)
            {
                RunDirect(batchId, items); // the InventoryActor does not answer (see SellDirectly), or the sale is over
            }
            else
            {
                Timers.StartSingleTimer(SlowKey(batchId), new BatchSlow(batchId), _settings.FallbackAfter);
                _inventory.Tell(new ReserveBatch(_saleId, batchId, items, Self, State(), span?.Context ?? default));
            }
        }
    }

    private static string SlowKey(long batchId) => "slow-" + batchId;

    /// <summary>
    /// A batch's outcomes came (from the InventoryActor or the store directly), or none will (empty: its
    /// buyers are told to retry). A late second answer finds the batch gone and changes nothing.
    /// </summary>
    private void BatchAnswered(long batchId, IReadOnlyList<ItemOutcome> outcomes)
    {
        Timers.Cancel(batchId);
        Timers.Cancel(SlowKey(batchId));
        if (_batchSpans is not null && _batchSpans.Remove(batchId, out var span))
        {
            SpikeTracing.StopDetached(outcomes.Count == 0 ? span.SetStatus(ActivityStatusCode.Error, "outcome unknown") : span);
        }
        if (_ledger.Complete(batchId, outcomes) && outcomes.Any(o => o.Status == ReserveStatus.UnknownSale))
        {
            BecomeUnknown();
            return;
        }
        ServeWaiting();
    }

    private void RunDirect(long batchId, IReadOnlyList<ReserveItem> items)
    {
        // The store's span of the call, started at the call, goes under the batch's span.
        using (SpikeTracing.MakeCurrent(_batchSpans?.GetValueOrDefault(batchId)))
        {
            _store.ReserveAsync(_saleId, items).PipeTo(Self,
                success: result => new DirectBatchRan(batchId, result),
                failure: cause => new DirectBatchFailed(batchId, cause));
        }
    }

    /// <summary>
    /// Sells against the store directly: every buyer's request goes to Redis, which decides it (no
    /// oversell without leases), until the InventoryActor answers a lease request again.
    /// </summary>
    private void SellDirectly(string why)
    {
        if (_ledger.Unmetered || _phase != Phase.Selling)
        {
            return;
        }
        _log.Warning("The inventory of sale {SaleId} does not answer ({Reason}): selling directly against the store", _saleId, why);
        _ledger.Unmetered = true;
        _ledger.Release();
        ServeWaiting();
    }

    private void LeaveDirect()
    {
        if (_ledger.Unmetered)
        {
            _log.Info("The inventory of sale {SaleId} answers again: selling on leases", _saleId);
            _ledger.Unmetered = false;
        }
    }

    private void ServeWaiting()
    {
        if (_phase != Phase.Selling)
        {
            FlushBatches();
            return;
        }
        _ledger.ServeWaiting(_perUserLimit);
        FlushBatches();
        if (_ledger.WaitingCount > 0)
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
        if (_ledger.Allotment < _settings.LeaseChunk / 4)
        {
            RequestLease();
        }
    }

    /// <summary>Asks for allotment: a top-up while some is left, or — with buyers waiting — a starving request.</summary>
    private void RequestLease()
    {
        var starving = _ledger.WaitingCount > 0;
        if (_phase != Phase.Selling || (_leaseRequested && (_leaseRequestStarving || !starving)))
        {
            return;
        }
        Timers.StartSingleTimer(nameof(LeaseTimedOut), LeaseTimedOut.Instance, _settings.LeaseTimeout);
        _leaseRequested = true;
        _leaseRequestStarving = starving;
        var needed = _ledger.FirstWaitingQuantity ?? 1;
        _inventory.Tell(new AcquireLease(_saleId, Math.Max(_settings.LeaseChunk, needed), needed, starving, Self, State()));
    }

    private void LeaseAnswered()
    {
        _leaseRequested = false;
        Timers.Cancel(nameof(LeaseTimedOut));
    }

    /// <summary>
    /// The sale is over: sold out (or sold out again with newer reservations), or closed. The allotment is void,
    /// and the reservations are read for the board. Until they are, the store answers every buyer — any of them
    /// may be a reserved buyer's retry, which the store answers with its order.
    /// </summary>
    private void BeginOver()
    {
        _phase = Phase.LoadingReservations;
        _ledger.Release();
        _ledger.TakeWaitingUnmetered();
        FlushBatches();
        Timers.Cancel(nameof(LoadReservations));
        Self.Tell(LoadReservations.Instance);
    }

    private void Reopen()
    {
        if (_phase != Phase.Selling)
        {
            _phase = Phase.Selling;
            _board.Reopen(_saleId);
        }
    }

    /// <summary>The sale does not exist: the front answers it for a while, and this actor stops.</summary>
    private void BecomeUnknown()
    {
        _board.MarkUnknown(_saleId, _settings.UnknownSaleTtl);
        _ledger.AnswerWaiting(_ => ItemOutcome.UnknownSale);
        if (!_ledger.HasBuyers)
        {
            Context.Parent.Tell(new StockManagerActor.ChildIdle(_saleId));
        }
    }
}
