using System.Diagnostics;
using Spike.Actors.Stock;

namespace Spike.Actors;

/// <summary>
/// Spike's own ActivitySource and every span on it: the buy path from the HTTP request (ASP.NET Core's span) through
/// the StockActor and the InventoryActor to the reserve script. Spike's spans are never roots: each starts only under
/// a sampled (recorded) parent, so the sampling decision is the HTTP request's alone, and an unsampled request or a
/// process without a listener (tracing off) starts none: the checks below are a field read and a flag test, nothing
/// is allocated. Spans that an actor holds across messages are started and stopped without becoming
/// <see cref="Activity.Current"/> on the dispatcher's thread, which runs other actors too.
/// </summary>
public static class SpikeTracing
{
    public const string SourceName = "Spike";

    /// <summary>The buyer held by the node's StockActor, from the hand-over to the answer; child of the HTTP span.</summary>
    public const string StockWaitName = "spike.stock.wait";

    /// <summary>One batch a StockActor sends to be reserved, until its outcomes come back.</summary>
    public const string StockBatchName = "spike.stock.batch";

    /// <summary>The InventoryActor's handling of one batch, on the node that hosts the sale: queued, run, answered.</summary>
    public const string InventoryBatchName = "spike.inventory.batch";

    /// <summary>One call of the reserve script (several batches merged, or one batch the node runs directly).</summary>
    public const string RedisReserveName = "spike.redis.reserve";

    public const string SaleTag = "spike.sale";
    /// <summary>Buyers (items) in a batch, or in a reserve call.</summary>
    public const string BatchSizeTag = "spike.batch.size";
    /// <summary>Buyers of a batch whose requests were sampled: the batch span's parent and its links.</summary>
    public const string BatchTracedBuyersTag = "spike.batch.traced_buyers";
    /// <summary>Items of a batch the authority reserved.</summary>
    public const string BatchReservedTag = "spike.batch.reserved";
    /// <summary>The buy's answer (<see cref="SpikeMetrics.StatusName"/>).</summary>
    public const string BuyStatusTag = "spike.buy.status";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The buyer's wait, as a child of the current (HTTP) span when that is sampled; it becomes current, so the
    /// caller disposes it where the wait ends.
    /// </summary>
    public static Activity? StartStockWait(string saleId)
    {
        if (!Source.HasListeners() || Activity.Current is not { Recorded: true })
        {
            return null;
        }
        return Source.StartActivity(StockWaitName, ActivityKind.Internal)?.SetTag(SaleTag, saleId);
    }

    /// <summary>
    /// A batch span for the sampled buyers among <paramref name="buyers"/>. One batch carries many buyers, each in its own trace. The span is a child of the first sampled buyer's wait,
    /// so that buyer's trace shows the whole path down to Redis as one tree, and links to the other sampled buyers'
    /// waits, so each of their traces can be followed to it; a span of its own trace with links only would appear
    /// in no buyer's tree. Not current: the StockActor holds it until the batch is answered.
    /// </summary>
    public static Activity? StartStockBatch(string saleId, IReadOnlyList<Buy> buyers)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        // By index: a foreach over the interface would allocate an enumerator per batch.
        for (var i = 0; i < buyers.Count; i++)
        {
            if (buyers[i].WaitSpan is not { Recorded: true } span)
            {
                continue;
            }
            if (parent == default)
            {
                parent = span.Context;
            }
            else
            {
                (links ??= []).Add(new ActivityLink(span.Context));
            }
        }
        if (parent == default)
        {
            return null;
        }
        var batch = StartDetached(StockBatchName, ActivityKind.Producer, parent, links);
        batch?.SetTag(SaleTag, saleId)
            .SetTag(BatchSizeTag, buyers.Count)
            .SetTag(BatchTracedBuyersTag, 1 + (links?.Count ?? 0));
        return batch;
    }

    /// <summary>
    /// The InventoryActor's span of a batch whose sender traced it (<paramref name="parent"/>: the batch span,
    /// across the cluster); none for an untraced batch. Not current: the actor holds it until the batch is answered.
    /// </summary>
    public static Activity? StartInventoryBatch(string saleId, in ActivityContext parent, int items)
    {
        if (!IsSampled(parent) || !Source.HasListeners())
        {
            return null;
        }
        return StartDetached(InventoryBatchName, ActivityKind.Consumer, parent, links: null)?
            .SetTag(SaleTag, saleId)
            .SetTag(BatchSizeTag, items);
    }

    /// <summary>The reserve script's call, as a child of the current span when that is sampled; the caller disposes it.</summary>
    public static Activity? StartRedisReserve(string saleId, int items)
    {
        if (!Source.HasListeners() || Activity.Current is not { Recorded: true })
        {
            return null;
        }
        return Source.StartActivity(RedisReserveName, ActivityKind.Client)?
            .SetTag("db.system.name", "redis")
            .SetTag("db.operation.name", "EVALSHA")
            .SetTag(SaleTag, saleId)
            .SetTag(BatchSizeTag, items);
    }

    /// <summary>Ends a span an actor held, leaving <see cref="Activity.Current"/> of the actor's thread as it was.</summary>
    public static void StopDetached(Activity? span)
    {
        if (span is null)
        {
            return;
        }
        var current = Activity.Current;
        span.Stop();
        Activity.Current = current;
    }

    /// <summary>
    /// Makes <paramref name="span"/> current until disposed (nothing when null): what is started meanwhile — a store
    /// call's span, synchronously at the call — becomes its child.
    /// </summary>
    public static CurrentSpan MakeCurrent(Activity? span) => new(span);

    public readonly struct CurrentSpan : IDisposable
    {
        private readonly Activity? _previous;
        private readonly bool _changed;

        internal CurrentSpan(Activity? span)
        {
            if (span is not null)
            {
                _previous = Activity.Current;
                _changed = true;
                Activity.Current = span;
            }
        }

        public void Dispose()
        {
            if (_changed)
            {
                Activity.Current = _previous;
            }
        }
    }

    private static bool IsSampled(in ActivityContext context) => (context.TraceFlags & ActivityTraceFlags.Recorded) != 0;

    private static Activity? StartDetached(string name, ActivityKind kind, in ActivityContext parent, List<ActivityLink>? links)
    {
        var current = Activity.Current;
        var span = Source.StartActivity(name, kind, parent, tags: null, links: links);
        Activity.Current = current;
        return span;
    }
}
