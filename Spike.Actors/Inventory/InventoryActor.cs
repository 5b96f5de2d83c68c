using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;

namespace Spike.Actors.Inventory;

/// <summary>
/// The one entity per sale in the whole cluster (sharded). It funnels every node's batches into one
/// store call at a time — merging batches that arrive while a call is in flight — hands out node
/// allotments as leases, and broadcasts the sale's status. Redis stays the authority: this actor only
/// caches what the last call told it.
/// </summary>
public sealed class InventoryActor : ReceiveActor, IWithTimers
{
    public static Props Props(string saleId, IInventoryStore store, IActorRef statusMediator, InventorySettings settings) =>
        Akka.Actor.Props.Create(() => new InventoryActor(saleId, store, statusMediator, settings));

    private sealed record KnownSale(bool Known, long Available, int PerUserLimit, SaleSchedule Schedule, long ReservationSeq, DateTime LoadedAt);

    private sealed record SaleLoaded(SaleSnapshot? Snapshot);

    private sealed record LoadFailed(Exception Cause);

    /// <summary>Batches of one store call; <paramref name="Items"/> are those that were run (not past their deadline).</summary>
    private sealed record StoreCall(IReadOnlyList<ReserveBatch> Batches, IReadOnlyList<ReserveItem> Items, long CallNumber);

    private sealed record BatchesRan(StoreCall Call, ReserveBatchResult Result);

    private sealed record BatchesFailed(StoreCall Call, Exception Cause);

    private sealed record CommandRan(SaleCommandResult Result, IActorRef ReplyTo);

    private sealed record PendingCommand(ISaleCommand Command, IActorRef ReplyTo);

    private sealed class SweepLeases : INotInfluenceReceiveTimeout
    {
        public static readonly SweepLeases Instance = new();
    }

    private sealed class RepublishStatus : INotInfluenceReceiveTimeout
    {
        public static readonly RepublishStatus Instance = new();
    }

    private readonly string _saleId;
    private readonly KeyValuePair<string, object?> _saleTag;
    private readonly IInventoryStore _store;
    private readonly IActorRef _statusMediator;
    private readonly InventorySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LeaseBook<IActorRef> _leases = new();
    private readonly List<ReserveBatch> _queuedBatches = [];
    private readonly Queue<PendingCommand> _queuedCommands = new();
    private readonly Dictionary<IActorRef, AcquireLease> _leaseWaiters = [];
    /// <summary>Holders asked to release that have not answered yet: asked once, not on every call.</summary>
    private readonly HashSet<IActorRef> _releaseAsked = [];
    /// <summary>Spans of the traced batches not answered yet (<see cref="SpikeTracing.StartInventoryBatch"/>); created on the first one.</summary>
    private Dictionary<ReserveBatch, Activity>? _batchSpans;
    private KnownSale? _sale;
    private bool _loadWanted;
    private int _callsInFlight;
    private long _callsStarted;
    private long _newestCountApplied;
    private (bool SoldOut, int PerUserLimit, SaleSchedule Schedule)? _published;
    private IDisposable? _mailboxRegistration;

    public ITimerScheduler Timers { get; set; } = null!;

    public InventoryActor(string saleId, IInventoryStore store, IActorRef statusMediator, InventorySettings settings)
    {
        _saleId = saleId;
        _saleTag = new(SpikeMetrics.SaleTag, saleId);
        _store = store;
        _statusMediator = statusMediator;
        _settings = settings;

        Receive<ReserveBatch>(batch =>
        {
            var now = DateTime.UtcNow;
            Reported(batch.ReplyTo, batch.Holder, now);
            _leases.BatchArrived(batch.ReplyTo, batch.Items.Sum(i => (long)i.Quantity), now);
            if (SpikeTracing.StartInventoryBatch(_saleId, batch.Trace, batch.Items.Count) is { } span)
            {
                (_batchSpans ??= new(ReferenceEqualityComparer.Instance))[batch] = span;
            }
            _queuedBatches.Add(batch);
            RunNextStoreCall();
        });
        Receive<BatchesRan>(OnBatchesRan);
        Receive<BatchesFailed>(failed =>
        {
            _log.Warning("Store call for sale {SaleId} failed: {Reason}", _saleId, failed.Cause.Message);
            foreach (var batch in failed.Call.Batches)
            {
                _batchSpans?.GetValueOrDefault(batch)?.SetStatus(ActivityStatusCode.Error, failed.Cause.Message);
            }
            AnswerBatches(failed.Call.Batches, _ => ItemOutcome.Unavailable);
            StoreCallDone();
        });

        Receive<AcquireLease>(request =>
        {
            Context.Watch(request.Holder);
            Reported(request.Holder, request.State, DateTime.UtcNow);
            _leaseWaiters[request.Holder] = request;
            ServeLeaseWaiters();
        });
        Receive<LeaseReturned>(returned =>
        {
            Reported(returned.Holder, returned.State, DateTime.UtcNow);
            ServeLeaseWaiters();
        });
        Receive<Terminated>(terminated =>
        {
            // A node's StockActor stopped, or its node was downed: its allotment is free again.
            if (_leases.Reclaim(holder => holder.Equals(terminated.ActorRef)).Count > 0)
            {
                SpikeMetrics.LeaseReclaims.Add(1, _saleTag, new KeyValuePair<string, object?>(SpikeMetrics.ReasonTag, SpikeMetrics.HolderGoneReason));
            }
            _leaseWaiters.Remove(terminated.ActorRef);
            _releaseAsked.Remove(terminated.ActorRef);
            ServeLeaseWaiters();
        });
        Receive<SweepLeases>(_ =>
        {
            foreach (var holder in _leases.Idle(DateTime.UtcNow - _settings.LeaseIdleTimeout))
            {
                var incarnation = _leases.IncarnationOf(holder);
                holder.Tell(new LeaseRevoked(_saleId, incarnation, _leases.Revoke(holder)));
                SpikeMetrics.LeaseReclaims.Add(1, _saleTag, new KeyValuePair<string, object?>(SpikeMetrics.ReasonTag, SpikeMetrics.IdleReason));
            }
            ServeLeaseWaiters();
        });

        Receive<SaleLoaded>(loaded =>
        {
            Remember(loaded.Snapshot);
            StoreCallDone();
        });
        Receive<LoadFailed>(failed =>
        {
            _log.Warning("Loading sale {SaleId} failed: {Reason}", _saleId, failed.Cause.Message);
            AnswerAllWaiters(new LeaseUnavailable(_saleId));
            StoreCallDone();
        });

        Receive<ConfigureSale>(command => QueueCommand(command));
        Receive<AddStock>(command => QueueCommand(command));
        Receive<CloseSale>(command => QueueCommand(command));
        Receive<DeleteSale>(command => QueueCommand(command));
        Receive<CommandRan>(ran =>
        {
            if (ran.Result.Status is SaleCommandStatus.Created or SaleCommandStatus.Updated or SaleCommandStatus.Conflict
                or SaleCommandStatus.StillSelling or SaleCommandStatus.OrdersOpen)
            {
                Remember(ran.Result.Sale);
            }
            else if (ran.Result.Status is SaleCommandStatus.UnknownSale)
            {
                Remember(null);
            }
            else if (ran.Result.Status is SaleCommandStatus.Deleted)
            {
                Remember(null);
                _published = null; // a sale created again under this id is announced afresh
                _statusMediator.Tell(new Publish(SaleStatusChanged.Topic, new SaleDeleted(_saleId)));
            }
            ran.ReplyTo.Tell(ran.Result);
            StoreCallDone();
        });

        Receive<RepublishStatus>(_ => PublishStatus(force: true));
        Receive<StockReleased>(_ =>
        {
            // The same path as a first load: Redis's counts, then the status if it changed.
            _loadWanted = true;
            RunNextStoreCall();
        });

        Receive<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
    }

    protected override void PreStart()
    {
        _mailboxRegistration = SpikeMetrics.ObserveMailbox(SpikeMetrics.InventoryActorKind, _saleId, Context);
        Timers.StartPeriodicTimer(nameof(SweepLeases), SweepLeases.Instance, _settings.LeaseSweepInterval);
        Timers.StartPeriodicTimer(nameof(RepublishStatus), RepublishStatus.Instance, _settings.StatusRepublishInterval);
    }

    /// <summary>Passivated or restarted: traced batches still unanswered end their spans here (their senders retry).</summary>
    protected override void PostStop()
    {
        _mailboxRegistration?.Dispose();
        if (_batchSpans is null)
        {
            return;
        }
        foreach (var span in _batchSpans.Values)
        {
            SpikeTracing.StopDetached(span.SetStatus(ActivityStatusCode.Error, "the InventoryActor stopped"));
        }
    }

    /// <summary>
    /// A holder said what it has. Any message from it also ends a pending release request: it answered,
    /// or the request was lost and may be sent again.
    /// </summary>
    private void Reported(IActorRef holder, HolderState state, DateTime now)
    {
        _releaseAsked.Remove(holder);
        _leases.Report(holder, state, now);
    }

    private void QueueCommand(ISaleCommand command)
    {
        _queuedCommands.Enqueue(new PendingCommand(command, Sender));
        RunNextStoreCall();
    }

    /// <summary>
    /// Reserve calls are pipelined, up to <see cref="InventorySettings.MaxCallsInFlight"/>: Redis runs them
    /// one after another anyway, and overlapping their round trips is what lets a batch go out while the
    /// previous one is on the wire. A small queue waits for the call in flight instead, so that it merges
    /// with what arrives meanwhile (fewer, larger Lua calls). Admin commands and loads run alone, once the
    /// pipeline has drained, so the count they bring back is the newest.
    /// </summary>
    private void RunNextStoreCall()
    {
        while (true)
        {
            if (_queuedCommands.Count > 0 || _loadWanted)
            {
                if (_callsInFlight == 0)
                {
                    RunExclusiveCall();
                }
                return;
            }
            if (_callsInFlight >= _settings.MaxCallsInFlight
                || _queuedBatches.Count == 0
                || (_callsInFlight > 0 && QueuedItems() < _settings.MinItemsToPipeline))
            {
                return;
            }
            var call = TakeCall();
            if (call.Items.Count == 0)
            {
                // Every buyer in these batches has stopped waiting: nothing to run.
                AnswerBatches(call.Batches, _ => ItemOutcome.Unavailable);
                continue;
            }
            _callsInFlight++;
            // The store's span of the call, started at the call, goes under a traced batch's span.
            using (SpikeTracing.MakeCurrent(SpanOfCall(call.Batches)))
            {
                _store.ReserveAsync(_saleId, call.Items).PipeTo(Self,
                    success: result => new BatchesRan(call, result),
                    failure: cause => new BatchesFailed(call, cause));
            }
        }
    }

    /// <summary>
    /// The span a store call goes under: one call runs several batches, possibly of several traces. It goes under
    /// the first traced batch; the others' spans link to that one, whose trace holds the call.
    /// </summary>
    private Activity? SpanOfCall(IReadOnlyList<ReserveBatch> batches)
    {
        if (_batchSpans is not { Count: > 0 })
        {
            return null;
        }
        Activity? owner = null;
        foreach (var batch in batches)
        {
            if (!_batchSpans.TryGetValue(batch, out var span))
            {
                continue;
            }
            if (owner is null)
            {
                owner = span;
            }
            else
            {
                span.AddLink(new ActivityLink(owner.Context));
            }
        }
        return owner;
    }

    private void RunExclusiveCall()
    {
        _callsInFlight++;
        _newestCountApplied = ++_callsStarted;
        if (_queuedCommands.TryDequeue(out var pending))
        {
            var replyTo = pending.ReplyTo;
            var call = pending.Command switch
            {
                ConfigureSale configure => _store.ConfigureSaleAsync(_saleId, configure.Settings),
                AddStock add => _store.AddStockAsync(_saleId, add.Amount, add.OperationId),
                CloseSale => _store.CloseSaleAsync(_saleId),
                DeleteSale => _store.DeleteSaleAsync(_saleId),
                _ => throw new InvalidOperationException($"Not a sale command: {pending.Command.GetType().Name}"),
            };
            call.PipeTo(Self,
                success: result => new CommandRan(result, replyTo),
                failure: _ => new CommandRan(new SaleCommandResult(_saleId, SaleCommandStatus.Unavailable, null), replyTo));
        }
        else
        {
            _loadWanted = false;
            _store.GetSaleAsync(_saleId).PipeTo(Self,
                success: snapshot => new SaleLoaded(snapshot),
                failure: cause => new LoadFailed(cause));
        }
    }

    private int QueuedItems() => _queuedBatches.Sum(b => b.Items.Count);

    /// <summary>Takes queued batches for one call; items whose buyer's deadline has passed are left out.</summary>
    private StoreCall TakeCall()
    {
        var taken = new List<ReserveBatch>();
        var items = new List<ReserveItem>();
        var count = 0;
        foreach (var batch in _queuedBatches)
        {
            if (taken.Count > 0 && count + batch.Items.Count > _settings.MaxItemsPerCall)
            {
                break;
            }
            taken.Add(batch);
            count += batch.Items.Count;
        }
        _queuedBatches.RemoveRange(0, taken.Count);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var batch in taken)
        {
            items.AddRange(batch.Items.Where(item => !IsPastDeadline(item, now)));
        }
        return new StoreCall(taken, items, ++_callsStarted);
    }

    private static bool IsPastDeadline(ReserveItem item, long nowUnixMs) => item.DeadlineUnixMs > 0 && item.DeadlineUnixMs <= nowUnixMs;

    private void StoreCallDone()
    {
        _callsInFlight--;
        ServeLeaseWaiters();
        RunNextStoreCall();
    }

    private void OnBatchesRan(BatchesRan ran)
    {
        // The call ran the batches' items in order, less those past their deadline: those were not run,
        // and their buyers retry.
        var run = 0;
        AnswerBatches(ran.Call.Batches, item => run < ran.Call.Items.Count && ReferenceEquals(ran.Call.Items[run], item)
            ? ran.Result.Outcomes[run++]
            : ItemOutcome.Unavailable);

        if (!ran.Result.SaleKnown)
        {
            Remember(null);
        }
        else if (_sale is not { Known: true })
        {
            _loadWanted = true;
        }
        else if (ran.Call.CallNumber > _newestCountApplied)
        {
            // Pipelined answers can overtake each other on their way here: only a newer count counts.
            _newestCountApplied = ran.Call.CallNumber;
            _sale = _sale with { Available = ran.Result.Available, ReservationSeq = Math.Max(_sale.ReservationSeq, ran.Result.ReservationSeq) };
            PublishStatus(force: false);
        }
        StoreCallDone();
    }

    /// <summary>
    /// Answers each batch's sender, asking <paramref name="outcomeOf"/> for every item in order; the lease book
    /// learns what was sold and what goes back to the node.
    /// </summary>
    private void AnswerBatches(IReadOnlyList<ReserveBatch> batches, Func<ReserveItem, ItemOutcome> outcomeOf)
    {
        var now = DateTime.UtcNow;
        foreach (var batch in batches)
        {
            var outcomes = new ItemOutcome[batch.Items.Count];
            long quantity = 0, returned = 0;
            for (var i = 0; i < outcomes.Length; i++)
            {
                var item = batch.Items[i];
                outcomes[i] = outcomeOf(item);
                quantity += item.Quantity;
                returned += outcomes[i].ReturnsAllotment ? item.Quantity : 0;
            }
            var seq = _leases.BatchAnswered(batch.ReplyTo, batch.Holder.Incarnation, quantity, returned, now);
            batch.ReplyTo.Tell(new BatchReserved(_saleId, batch.Holder.Incarnation, seq, batch.BatchId, outcomes));
            if (_batchSpans is not null && _batchSpans.Remove(batch, out var span))
            {
                SpikeTracing.StopDetached(span.SetTag(SpikeTracing.BatchReservedTag, outcomes.Count(o => o.Status == ReserveStatus.Reserved)));
            }
        }
    }

    private void Remember(SaleSnapshot? snapshot)
    {
        _sale = snapshot is null
            ? new KnownSale(false, 0, 0, default, 0, DateTime.UtcNow)
            : new KnownSale(true, snapshot.Available, snapshot.PerUserLimit, snapshot.Schedule, Math.Max(_sale?.ReservationSeq ?? 0, snapshot.ReservationSeq), DateTime.UtcNow);
        // An unknown sale costs nothing once its askers are answered: passivate soon after.
        SetReceiveTimeout(snapshot is null ? _settings.UnknownSalePassivation : null);
        PublishStatus(force: false);
    }

    /// <summary>Publishes the sale's status when it changed, or always (<paramref name="force"/>) for nodes that missed it.</summary>
    private void PublishStatus(bool force)
    {
        if (_sale is not { Known: true } sale)
        {
            return;
        }
        var status = (SoldOut: sale.Available <= 0, sale.PerUserLimit, sale.Schedule);
        if (force || _published != status)
        {
            _published = status;
            _statusMediator.Tell(new Publish(SaleStatusChanged.Topic, new SaleStatusChanged(_saleId, status.SoldOut, status.PerUserLimit, sale.ReservationSeq, sale.Schedule)));
        }
    }

    private void ServeLeaseWaiters()
    {
        if (_leaseWaiters.Count == 0)
        {
            return;
        }
        var now = DateTime.UtcNow;
        if (_sale is null || (!_sale.Known && now - _sale.LoadedAt > _settings.RetryLoadAfter))
        {
            _loadWanted = true;
            RunNextStoreCall();
            return;
        }
        if (!_sale.Known)
        {
            AnswerAllWaiters(new SaleUnknown(_saleId));
            return;
        }
        // Nodes with buyers waiting first; a mere top-up never takes stock a starving node is waiting for.
        var starvingWaits = false;
        foreach (var (holder, request) in _leaseWaiters.OrderByDescending(w => w.Value.Starving).ToArray())
        {
            if (!request.Starving && starvingWaits)
            {
                break;
            }
            var needed = request.Starving ? request.Needed : 0;
            var (granted, seq) = _leases.Grant(holder, request.Wanted, needed, _sale.Available, now);
            // Fewer left than the first buyer asks for: answer now, so the node can tell that buyer.
            if (granted > 0)
            {
                SpikeMetrics.LeaseGrants.Add(1, _saleTag);
            }
            if (granted > 0 || _sale.Available < request.Needed)
            {
                _leaseWaiters.Remove(holder);
                holder.Tell(new LeaseGranted(_saleId, _leases.IncarnationOf(holder), seq, granted, _sale.PerUserLimit, _sale.Available, _sale.Schedule));
            }
            else
            {
                starvingWaits |= request.Starving;
            }
        }
        if (starvingWaits)
        {
            // Everything is leased out while buyers wait: ask every holder for what it is not using —
            // starving ones too, whose allotment is too small for their own first buyer.
            foreach (var holder in _leases.HoldersWithAllotment().Where(_releaseAsked.Add))
            {
                holder.Tell(new ReleaseLease(_saleId));
            }
        }
    }

    private void AnswerAllWaiters(ISaleMessage answer)
    {
        foreach (var waiter in _leaseWaiters.Keys)
        {
            waiter.Tell(answer);
        }
        _leaseWaiters.Clear();
    }
}
