using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;

namespace Spike.Actors.Inventory;

/// <summary>
/// The one entity per sale in the whole cluster (sharded). It funnels every node's batches into one
/// store call at a time — merging batches that arrive while a call is in flight — hands out node
/// allotments as leases, and broadcasts sold-out / back-in-stock. Redis stays the authority: this
/// actor only caches what the last call told it.
/// </summary>
public sealed class InventoryActor : ReceiveActor, IWithTimers
{
    public static Props Props(string saleId, IInventoryStore store, IActorRef statusMediator, InventorySettings settings) =>
        Akka.Actor.Props.Create(() => new InventoryActor(saleId, store, statusMediator, settings));

    private static readonly TimeSpan IdleUnknownSalePassivation = TimeSpan.FromMinutes(2);

    private sealed record SaleState(bool Known, long Available, int PerUserLimit, DateTime LoadedAt);

    private sealed record SaleLoaded(SaleSnapshot? Snapshot);

    private sealed record LoadFailed(Exception Cause);

    private sealed record BatchesRan(IReadOnlyList<ReserveBatch> Batches, ReserveBatchResult Result, long CallNumber);

    private sealed record BatchesFailed(IReadOnlyList<ReserveBatch> Batches, Exception Cause);

    private sealed record RetriesResolved(IReadOnlyList<ResolveBatch> Batches, IReadOnlyList<ItemOutcome?>? Outcomes);

    private sealed record CommandRan(SaleCommandResult Result, IActorRef ReplyTo);

    private sealed record PendingCommand(ISaleCommand Command, IActorRef ReplyTo);

    private sealed class SweepLeases
    {
        public static readonly SweepLeases Instance = new();
    }

    private sealed class RepublishStatus
    {
        public static readonly RepublishStatus Instance = new();
    }

    private readonly string _saleId;
    private readonly IInventoryStore _store;
    private readonly IActorRef _statusMediator;
    private readonly InventorySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LeaseBook<IActorRef> _leases = new();
    private readonly List<ReserveBatch> _queuedBatches = [];
    private readonly List<ResolveBatch> _queuedResolves = [];
    private readonly Queue<PendingCommand> _queuedCommands = new();
    private readonly Dictionary<IActorRef, AcquireLease> _leaseWaiters = [];
    private SaleState? _sale;
    private bool _loadWanted;
    private int _callsInFlight;
    private long _callsStarted;
    private long _newestCountApplied;
    private bool? _publishedSoldOut;

    public ITimerScheduler Timers { get; set; } = null!;

    public InventoryActor(string saleId, IInventoryStore store, IActorRef statusMediator, InventorySettings settings)
    {
        _saleId = saleId;
        _store = store;
        _statusMediator = statusMediator;
        _settings = settings;

        Receive<ReserveBatch>(batch =>
        {
            _leases.MarkActive(batch.ReplyTo, DateTime.UtcNow);
            _queuedBatches.Add(batch);
            RunNextStoreCall();
        });
        Receive<BatchesRan>(OnBatchesRan);
        Receive<ResolveBatch>(batch =>
        {
            _queuedResolves.Add(batch);
            RunNextStoreCall();
        });
        Receive<RetriesResolved>(resolved =>
        {
            var offset = 0;
            foreach (var batch in resolved.Batches)
            {
                var outcomes = batch.Items.Select((_, i) => resolved.Outcomes is null
                    ? ItemOutcome.Unavailable
                    : resolved.Outcomes[offset + i] ?? ItemOutcome.SoldOut).ToArray();
                offset += outcomes.Length;
                batch.ReplyTo.Tell(new BatchReserved(_saleId, batch.BatchId, outcomes));
            }
            StoreCallDone();
        });
        Receive<BatchesFailed>(failed =>
        {
            _log.Warning("Store call for sale {0} failed: {1}", _saleId, failed.Cause.Message);
            foreach (var batch in failed.Batches)
            {
                var outcomes = Enumerable.Repeat(ItemOutcome.Unavailable, batch.Items.Count).ToArray();
                batch.ReplyTo.Tell(new BatchReserved(_saleId, batch.BatchId, outcomes));
            }
            StoreCallDone();
        });

        Receive<AcquireLease>(request =>
        {
            Context.Watch(request.Holder);
            _leaseWaiters[request.Holder] = request;
            ServeLeaseWaiters();
        });
        Receive<LeaseReturned>(returned =>
        {
            _leases.Return(returned.Holder, returned.Amount, DateTime.UtcNow);
            ServeLeaseWaiters();
        });
        Receive<Terminated>(terminated =>
        {
            // A node's StockActor stopped, or its node was downed: its allotment is free again.
            _leases.Reclaim(holder => holder.Equals(terminated.ActorRef));
            _leaseWaiters.Remove(terminated.ActorRef);
            ServeLeaseWaiters();
        });
        Receive<SweepLeases>(_ =>
        {
            foreach (var holder in _leases.Expire(DateTime.UtcNow - _settings.LeaseIdleTimeout))
            {
                holder.Tell(new LeaseRevoked(_saleId));
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
            _log.Warning("Loading sale {0} failed: {1}", _saleId, failed.Cause.Message);
            AnswerAllWaiters(new LeaseUnavailable(_saleId));
            StoreCallDone();
        });

        Receive<ConfigureSale>(command => QueueCommand(command));
        Receive<AddStock>(command => QueueCommand(command));
        Receive<CommandRan>(ran =>
        {
            if (ran.Result.Status is SaleCommandStatus.Created or SaleCommandStatus.Updated or SaleCommandStatus.Conflict)
            {
                Remember(ran.Result.Sale);
            }
            else if (ran.Result.Status is SaleCommandStatus.UnknownSale)
            {
                Remember(null);
            }
            ran.ReplyTo.Tell(ran.Result);
            StoreCallDone();
        });

        Receive<RepublishStatus>(_ =>
        {
            _publishedSoldOut = null;
            PublishStatus();
        });

        Receive<ReceiveTimeout>(_ => Context.Parent.Tell(new Passivate(PoisonPill.Instance)));
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(nameof(SweepLeases), SweepLeases.Instance, _settings.LeaseSweepInterval);
        Timers.StartPeriodicTimer(nameof(RepublishStatus), RepublishStatus.Instance, _settings.StatusRepublishInterval);
    }

    private void QueueCommand(ISaleCommand command)
    {
        _queuedCommands.Enqueue(new PendingCommand(command, Sender));
        RunNextStoreCall();
    }

    /// <summary>
    /// Reserve and retry-lookup calls are pipelined, up to <see cref="InventorySettings.MaxCallsInFlight"/>:
    /// Redis runs them one after another anyway, and overlapping their round trips is what lets a
    /// batch go out while the previous one is on the wire. A small queue waits for the call in flight
    /// instead, so that it merges with what arrives meanwhile (fewer, larger Lua calls). Admin commands and loads run alone, once
    /// the pipeline has drained, so the count they bring back is the newest.
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
            if (_callsInFlight >= _settings.MaxCallsInFlight)
            {
                return;
            }
            if (_queuedResolves.Count > 0)
            {
                _callsInFlight++;
                var batches = _queuedResolves.ToArray();
                _queuedResolves.Clear();
                _store.ResolveAsync(_saleId, batches.SelectMany(b => b.Items).ToArray()).PipeTo(Self,
                    success: outcomes => new RetriesResolved(batches, outcomes),
                    failure: _ => new RetriesResolved(batches, null));
            }
            else if (_queuedBatches.Count > 0 && (_callsInFlight == 0 || QueuedItems() >= _settings.MinItemsToPipeline))
            {
                _callsInFlight++;
                var callNumber = ++_callsStarted;
                var batches = TakeBatchesForOneCall();
                var items = batches.SelectMany(b => b.Items).ToArray();
                _store.ReserveAsync(_saleId, items).PipeTo(Self,
                    success: result => new BatchesRan(batches, result, callNumber),
                    failure: cause => new BatchesFailed(batches, cause));
            }
            else
            {
                return;
            }
        }
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

    private List<ReserveBatch> TakeBatchesForOneCall()
    {
        var taken = new List<ReserveBatch>();
        var items = 0;
        foreach (var batch in _queuedBatches)
        {
            if (taken.Count > 0 && items + batch.Items.Count > _settings.MaxItemsPerCall)
            {
                break;
            }
            taken.Add(batch);
            items += batch.Items.Count;
        }
        _queuedBatches.RemoveRange(0, taken.Count);
        return taken;
    }

    private void StoreCallDone()
    {
        _callsInFlight--;
        ServeLeaseWaiters();
        RunNextStoreCall();
    }

    private void OnBatchesRan(BatchesRan ran)
    {
        var now = DateTime.UtcNow;
        var offset = 0;
        foreach (var batch in ran.Batches)
        {
            var outcomes = new ItemOutcome[batch.Items.Count];
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] = ran.Result.Outcomes[offset + i];
                if (outcomes[i].Status == ReserveStatus.Reserved)
                {
                    _leases.Consume(batch.ReplyTo, batch.Items[i].Quantity, now);
                }
            }
            offset += outcomes.Length;
            batch.ReplyTo.Tell(new BatchReserved(_saleId, batch.BatchId, outcomes));
        }

        if (!ran.Result.SaleKnown)
        {
            Remember(null);
        }
        else if (_sale is not { Known: true })
        {
            _loadWanted = true;
        }
        else if (ran.CallNumber > _newestCountApplied)
        {
            // Pipelined answers can overtake each other on their way here: only a newer count counts.
            _newestCountApplied = ran.CallNumber;
            _sale = _sale with { Available = ran.Result.Available };
            PublishStatus();
        }
        StoreCallDone();
    }

    private void Remember(SaleSnapshot? snapshot)
    {
        _sale = snapshot is null
            ? new SaleState(false, 0, 0, DateTime.UtcNow)
            : new SaleState(true, snapshot.Available, snapshot.PerUserLimit, DateTime.UtcNow);
        SetReceiveTimeout(snapshot is null ? IdleUnknownSalePassivation : null);
        PublishStatus();
    }

    private void PublishStatus()
    {
        if (_sale is not { Known: true } sale)
        {
            return;
        }
        var soldOut = sale.Available <= 0;
        if (_publishedSoldOut != soldOut)
        {
            _publishedSoldOut = soldOut;
            _statusMediator.Tell(new Publish(SaleStatusChanged.Topic, new SaleStatusChanged(_saleId, soldOut)));
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
        if (_sale.Available <= 0)
        {
            AnswerAllWaiters(new LeaseGranted(_saleId, 0, _sale.PerUserLimit, SoldOut: true));
            return;
        }
        // Nodes with buyers waiting first; a mere top-up never takes stock a starving node is waiting for.
        foreach (var (holder, request) in _leaseWaiters.OrderByDescending(w => w.Value.Starving).ToArray())
        {
            if (!request.Starving && _leaseWaiters.Values.Any(w => w.Starving))
            {
                break;
            }
            var granted = _leases.Grant(holder, request.Wanted, _sale.Available, now);
            if (granted > 0)
            {
                _leaseWaiters.Remove(holder);
                holder.Tell(new LeaseGranted(_saleId, granted, _sale.PerUserLimit, SoldOut: false));
            }
        }
        if (_leaseWaiters.Values.Any(w => w.Starving))
        {
            // Everything is leased out while buyers wait: ask the others for what they are not using.
            foreach (var holder in _leases.HoldersWithAllotment().Where(h => _leaseWaiters.GetValueOrDefault(h) is not { Starving: true }))
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
