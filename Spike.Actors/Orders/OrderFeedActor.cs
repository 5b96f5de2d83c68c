using Akka.Actor;
using Akka.Event;
using Spike.Actors.Inventory;

namespace Spike.Actors.Orders;

/// <summary>
/// The one consumer of every sale's order stream in the cluster (a cluster singleton). In rounds — one after
/// another, never two at once — it creates the order of each new reservation (an <see cref="OrderActor"/> via the
/// order shard region) and then acknowledges its entry, and it sends <see cref="ExpireOrder"/> to each open order
/// past its deadline, so an unpaid order expires even when its actor is not running (passivated, or its node died).
/// Now and then (<see cref="OrderFeedSettings.ReconcileEvery"/>) it reconciles every sale
/// (<see cref="SaleReconciler"/>), logging what differs and making the safe repairs. Everything it does may be done
/// twice: an entry whose creation failed, or whose feed died before acknowledging it, is read again, and creating or
/// expiring an order twice changes nothing. A sale with nothing to do is visited less and less often
/// (<see cref="FeedSchedule"/>), so an idle cluster's feed costs next to nothing however many sales it has seen.
/// Every <see cref="OrderFeedSettings.LagEvery"/> it measures the lag of each sale it has found work in (a quiet
/// sale's last visit found none: its lag is 0) for the <see cref="SpikeMetrics.OrdersFeedLagName"/> gauge, which
/// the node running the feed reports.
/// </summary>
public sealed class OrderFeedActor : ReceiveActor, IWithTimers
{
    public static Props Props(IOrderStream stream, IActorRef orders, OrderFeedSettings settings) =>
        Akka.Actor.Props.Create(() => new OrderFeedActor(stream, orders, settings));

    private sealed class Poll
    {
        public static readonly Poll Instance = new();
    }

    /// <param name="Visits">The sales visited, each with whether the visit found work.</param>
    /// <param name="WorkLeft">A batch came back full: the next round starts at once.</param>
    private sealed record RoundDone(IReadOnlyList<string> Sales, DateTime ListedAt, DateTime StartedAt, IReadOnlyList<(string Sale, bool FoundWork)> Visits, bool WorkLeft);

    private sealed record RoundFailed(Exception Cause);

    private sealed class ReconcileAll
    {
        public static readonly ReconcileAll Instance = new();
    }

    private sealed record Reconciled(IReadOnlyList<ReconcileReport> Reports, Exception? Failure);

    private sealed class MeasureLag
    {
        public static readonly MeasureLag Instance = new();
    }

    /// <param name="BySale">Null when Redis did not answer: the gauge keeps the last lag measured until the next try.</param>
    private sealed record LagMeasured(IReadOnlyDictionary<string, long>? BySale);

    /// <summary>The feed's asks to OrderActors at once: fewer than Akka's concurrent recoveries (50 by default), so buyers' commands find one free.</summary>
    public const int MaxAsksInFlight = 32;

    private readonly IOrderStream _stream;
    private readonly IActorRef _orders;
    private readonly OrderFeedSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly FeedSchedule _schedule;
    private IReadOnlyList<string> _sales = [];
    /// <summary>Rounds started: while a sale sells, the sale whose orders are created first takes turns by it.</summary>
    private long _rounds;
    private DateTime _listedAt = DateTime.MinValue;
    private bool _reconciling;
    private readonly OrderFeedLag _lag = new();
    private IDisposable? _lagRegistration;
    private bool _measuringLag;

    public ITimerScheduler Timers { get; set; } = null!;

    public OrderFeedActor(IOrderStream stream, IActorRef orders, OrderFeedSettings settings)
    {
        _stream = stream;
        _orders = orders;
        _settings = settings;
        _schedule = new FeedSchedule(settings.PollInterval, settings.QuietPollInterval);

        Receive<Poll>(_ =>
        {
            var now = DateTime.UtcNow;
            var due = _schedule.Due(_sales, now);
            RunRoundAsync(_sales, _listedAt, due, now, _rounds++).PipeTo(Self, success: done => done, failure: cause => new RoundFailed(cause));
        });
        Receive<RoundDone>(done =>
        {
            _sales = done.Sales;
            _listedAt = done.ListedAt;
            foreach (var (sale, foundWork) in done.Visits)
            {
                _schedule.Visited(sale, foundWork, done.StartedAt);
            }
            if (done.WorkLeft)
            {
                Self.Tell(Poll.Instance);
            }
            else
            {
                Timers.StartSingleTimer(nameof(Poll), Poll.Instance, _settings.PollInterval);
            }
        });
        Receive<RoundFailed>(failed =>
        {
            _log.Warning("The order feed's round failed ({Reason}); trying again in {RetryAfterMs} ms", failed.Cause.Message, _settings.RetryAfter.TotalMilliseconds);
            Timers.StartSingleTimer(nameof(Poll), Poll.Instance, _settings.RetryAfter);
        });

        Receive<ReconcileAll>(_ =>
        {
            if (_reconciling)
            {
                return;
            }
            _reconciling = true;
            var reconciler = new SaleReconciler(_stream, _orders, _settings.OrderTimeout);
            ReconcileAsync(reconciler, _sales).PipeTo(Self, success: reports => new Reconciled(reports, null), failure: cause => new Reconciled([], cause));
        });
        Receive<MeasureLag>(_ =>
        {
            if (_measuringLag)
            {
                return;
            }
            _measuringLag = true;
            MeasureLagAsync(_sales, _sales.Where(_schedule.FoundWorkLastTime).ToList()).PipeTo(Self, success: measured => measured, failure: _ => new LagMeasured(null));
        });
        Receive<LagMeasured>(measured =>
        {
            _measuringLag = false;
            if (measured.BySale is { } bySale)
            {
                _lag.Set(bySale);
            }
        });
        Receive<Reconciled>(reconciled =>
        {
            _reconciling = false;
            if (reconciled.Failure is { } failure)
            {
                _log.Warning("Reconciling the sales failed ({Reason}); the next run is in {ReconcileEvery}", failure.Message, _settings.ReconcileEvery);
            }
            foreach (var report in reconciled.Reports)
            {
                foreach (var difference in report.Differences)
                {
                    _log.Warning("Sale {SaleId}: {Difference} x{Count}, {Repaired} repaired: {Detail}", report.SaleId, difference.Kind, difference.Count, difference.Repaired, difference.Detail);
                }
            }
        });
    }

    protected override void PreStart()
    {
        Self.Tell(Poll.Instance);
        Timers.StartPeriodicTimer(nameof(ReconcileAll), ReconcileAll.Instance, _settings.ReconcileEvery);
        if (_settings.LagEvery is { } lagEvery)
        {
            _lagRegistration = SpikeMetrics.Observe(_lag);
            Timers.StartPeriodicTimer(nameof(MeasureLag), MeasureLag.Instance, lagEvery);
        }
    }

    protected override void PostStop() => _lagRegistration?.Dispose();

    /// <summary>
    /// The lag of every sale the feed reads: measured for the <paramref name="busy"/> ones by the one definition of it
    /// (<see cref="OrderProgress.Lag"/>), 0 for the quiet ones; a sale gone meanwhile is left out.
    /// </summary>
    private async Task<LagMeasured> MeasureLagAsync(IReadOnlyList<string> sales, List<string> busy)
    {
        var progress = await Task.WhenAll(busy.Select(sale => _stream.ProgressAsync(sale)));
        var bySale = sales.ToDictionary(sale => sale, _ => 0L, StringComparer.Ordinal);
        for (var i = 0; i < busy.Count; i++)
        {
            if (progress[i] is { } sale)
            {
                bySale[busy[i]] = sale.Lag;
            }
            else
            {
                bySale.Remove(busy[i]);
            }
        }
        return new LagMeasured(bySale);
    }

    private static async Task<IReadOnlyList<ReconcileReport>> ReconcileAsync(SaleReconciler reconciler, IReadOnlyList<string> sales)
    {
        var reports = new List<ReconcileReport>();
        foreach (var sale in sales)
        {
            if (await reconciler.RunAsync(sale, askSettledOrders: false) is { Clean: false } report)
            {
                reports.Add(report);
            }
        }
        return reports;
    }

    /// <summary>
    /// One round over the sales due for a visit (those listed in a new listing are visited from the next round on).
    /// Runs outside the actor: it reads only its arguments and immutable fields.
    /// </summary>
    private async Task<RoundDone> RunRoundAsync(IReadOnlyList<string> sales, DateTime listedAt, IReadOnlyList<string> due, DateTime now, long turn)
    {
        if (now - listedAt >= _settings.ListSalesEvery)
        {
            sales = await _stream.ListSalesAsync();
            listedAt = now;
        }
        // Creation yields to buying while any sale sells (they share the machines): one batch of orders per poll
        // interval over all sales, which take turns, and the rest once the sales calm down. A sale left out this round
        // is not counted as visited, so it stays due. Expiry goes on for every sale: it puts tickets back on sale.
        var lastReservations = await Task.WhenAll(due.Select(sale => _stream.LastReservationAtAsync(sale)));
        var selling = lastReservations.Any(last => now - last < _settings.SellingWindow);
        var workLeft = false;
        var batchCreated = false;
        var visits = new List<(string Sale, bool FoundWork)>(due.Count);
        for (var i = 0; i < due.Count; i++)
        {
            var sale = due[(int)((turn + i) % due.Count)];
            var creates = !(selling && batchCreated);
            var (created, moreToCreate) = creates ? await CreateOrdersAsync(sale) : (false, false);
            batchCreated |= created;
            var (expired, moreToExpire) = await ExpireDueOrdersAsync(sale);
            workLeft |= (moreToCreate && !selling) || moreToExpire;
            if (creates || expired)
            {
                visits.Add((sale, created || expired));
            }
        }
        return new RoundDone(sales, listedAt, now, visits, workLeft);
    }

    /// <summary>Creates the orders of one batch of entries and acknowledges those that exist now.</summary>
    /// <returns>Whether there were entries, and whether more wait (a full batch, all done).</returns>
    private async Task<(bool Found, bool More)> CreateOrdersAsync(string sale)
    {
        var entries = await _stream.ReadAsync(sale, _settings.BatchSize);
        if (entries.Count == 0)
        {
            return (false, false);
        }
        var created = await InFlightAsync(entries, CreateAsync);
        var done = entries.Where((_, i) => created[i]).ToArray();
        await _stream.AcknowledgeAsync(sale, done);
        // Entries that failed wait for the next round's interval rather than being retried at once.
        return (true, entries.Count == _settings.BatchSize && done.Length == entries.Count);
    }

    /// <summary>
    /// Runs <paramref name="each"/> for every item, at most <see cref="MaxAsksInFlight"/> at once. Each ask of a new order
    /// recovers an OrderActor from the journal; a whole batch at once would take every recovery permit and queue the
    /// buyers' own order commands behind it, past their deadline, and its slowest calls would open the journal's
    /// circuit breaker.
    /// </summary>
    private static async Task<TResult[]> InFlightAsync<T, TResult>(IReadOnlyList<T> items, Func<T, Task<TResult>> each)
    {
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = MaxAsksInFlight },
            async (i, _) => results[i] = await each(items[i]));
        return results;
    }

    private async Task<bool> CreateAsync(OrderEntry entry)
    {
        if (entry.Order is not { } order)
        {
            _log.Error("Order stream entry {EntryId} is malformed and can never become an order; acknowledged", entry.EntryId);
            return true;
        }
        var reply = await _orders.AskOrderAsync(new CreateOrder(order.OrderId, order.SaleId, order.UserId, order.Quantity, order.PayByUnixMs), _settings.OrderTimeout);
        return reply is not null && reply.Status != OrderReplyStatus.Unavailable;
    }

    /// <summary>Tells the open orders past their deadline to expire; those not settled stay due for the next round.</summary>
    /// <returns>Whether any order was due, and whether more may be (a full batch).</returns>
    private async Task<(bool Found, bool More)> ExpireDueOrdersAsync(string sale)
    {
        var due = await _stream.DueAsync(sale, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _settings.BatchSize);
        await InFlightAsync(due, orderId => _orders.AskOrderAsync(new ExpireOrder(orderId), _settings.OrderTimeout));
        return (due.Count > 0, due.Count == _settings.BatchSize);
    }
}
