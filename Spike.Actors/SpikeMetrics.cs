using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Actors.Sharding;
using Spike.Actors.Stock;

namespace Spike.Actors;

/// <summary>
/// Spike's own meter and every instrument on it. Static, so the actors record without a dependency handed to them;
/// the observable gauges read what the node and its actors registered with the <c>Observe</c> methods (one node per
/// process in production, several in the tests' process), and never wait for an actor or Redis. Tag values are existing strings only,
/// so recording allocates nothing.
/// </summary>
public static class SpikeMetrics
{
    public const string MeterName = "Spike";

    public const string BuyOutcomesName = "spike.buy.outcomes";
    public const string BuyDurationName = "spike.buy.duration";
    public const string StockBatchSizeName = "spike.stock.batch.size";
    public const string StockAllotmentName = "spike.stock.allotment";
    public const string StockSoldOutName = "spike.stock.sold_out";
    public const string RedisReserveDurationName = "spike.redis.reserve.duration";
    public const string RedisReserveCallsName = "spike.redis.reserve.calls";
    public const string LeaseGrantsName = "spike.lease.grants";
    public const string LeaseReclaimsName = "spike.lease.reclaims";
    public const string OrdersName = "spike.orders";
    public const string ClusterMembersName = "spike.cluster.members";
    public const string OrdersFeedLagName = "spike.orders.feed.lag";
    public const string ShardingShardsName = "spike.sharding.shards";
    public const string ShardingEntitiesName = "spike.sharding.entities";
    public const string MailboxDepthName = "spike.actor.mailbox.depth";

    public const string SaleTag = "sale";
    public const string StatusTag = "status";
    public const string StateTag = "state";
    public const string ReasonTag = "reason";
    public const string TypeTag = "type";
    public const string ActorTag = "actor";

    /// <summary>The <see cref="ActorTag"/> of a sale's StockActor (one per sale on each API node).</summary>
    public const string StockActorKind = "stock";

    /// <summary>The <see cref="ActorTag"/> of a sale's InventoryActor (one per sale in the cluster).</summary>
    public const string InventoryActorKind = "inventory";

    /// <summary>A buy refused as malformed.</summary>
    public const string InvalidStatus = "invalid";
    public const string InvalidBuyerTokenStatus = "invalid_buyer_token";

    /// <summary>
    /// A buyer that went away (closed its connection) before its buy's outcome was known: no answer was sent, and it
    /// is not counted "unavailable", which means the node could not give one.
    /// </summary>
    public const string AbandonedStatus = "abandoned";

    /// <summary>A lease's allotment went back because its holder stopped or its node left.</summary>
    public const string HolderGoneReason = "holder_gone";

    /// <summary>A lease's allotment went back because its holder sold nothing for a while.</summary>
    public const string IdleReason = "idle";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> BuyOutcomes = Meter.CreateCounter<long>(
        BuyOutcomesName, "{answer}", "Buy requests answered, by outcome status and sale.");

    public static readonly Histogram<double> BuyDuration = Meter.CreateHistogram<double>(
        BuyDurationName, "ms", "Time the buy endpoint took to answer.");

    public static readonly Histogram<long> StockBatchSize = Meter.CreateHistogram<long>(
        StockBatchSizeName, "{buyer}", "Buyers per batch a StockActor sends to be reserved.");

    public static readonly Histogram<double> RedisReserveDuration = Meter.CreateHistogram<double>(
        RedisReserveDurationName, "ms", "Time of one reserve script call.");

    public static readonly Counter<long> RedisReserveCalls = Meter.CreateCounter<long>(
        RedisReserveCallsName, "{call}", "Reserve script calls, by sale.");

    public static readonly Counter<long> LeaseGrants = Meter.CreateCounter<long>(
        LeaseGrantsName, "{lease}", "Leases (allotments) an InventoryActor granted, by sale.");

    public static readonly Counter<long> LeaseReclaims = Meter.CreateCounter<long>(
        LeaseReclaimsName, "{lease}", "Leases an InventoryActor took back, by sale and reason.");

    public static readonly Counter<long> Orders = Meter.CreateCounter<long>(
        OrdersName, "{order}", "Orders recorded, by the state they reached.");

    private static readonly ConcurrentDictionary<SaleBoard, byte> Boards = new();
    private static readonly ConcurrentDictionary<ActorSystem, byte> Systems = new();
    private static readonly ConcurrentDictionary<OrderFeedLag, byte> FeedLags = new();
    private static readonly ConcurrentDictionary<ShardCounts, byte> Shards = new();
    private static readonly ConcurrentDictionary<ObservedMailbox, byte> Mailboxes = new();

    private static readonly string[] MemberStatusNames = Enum.GetNames<MemberStatus>().Select(n => n.ToLowerInvariant()).ToArray();

    static SpikeMetrics()
    {
        Meter.CreateObservableGauge(StockAllotmentName, ObserveAllotments, "{ticket}", "Tickets this node may still sell without asking, by sale.");
        Meter.CreateObservableGauge(StockSoldOutName, ObserveSoldOut, null, "1 for a sale this node knows sold out, by sale.");
        Meter.CreateObservableGauge(ClusterMembersName, ObserveMembers, "{member}", "Cluster members this node sees, by status.");
        Meter.CreateObservableGauge(OrdersFeedLagName, ObserveFeedLag, "{reservation}",
            "Reservations in a sale's order stream whose order the order feed has not created yet, by sale; from the node that runs the feed.");
        Meter.CreateObservableGauge(ShardingShardsName, () => ObserveShards(count => count.Shards), "{shard}", "Shards this node hosts, by entity type.");
        Meter.CreateObservableGauge(ShardingEntitiesName, () => ObserveShards(count => count.Entities), "{entity}", "Entities running in the shards this node hosts, by entity type.");
        Meter.CreateObservableGauge(MailboxDepthName, ObserveMailboxes, "{message}", "Messages waiting in the mailbox of a sale's actor on this node, by actor kind and sale.");
    }

    /// <summary>The status tag of a buy's outcome: the word the buy API answers.</summary>
    public static string StatusName(ReserveStatus status) => status switch
    {
        ReserveStatus.Reserved => "reserved",
        ReserveStatus.SoldOut => "sold_out",
        ReserveStatus.LimitReached => "limit_reached",
        ReserveStatus.UnknownSale => "unknown_sale",
        ReserveStatus.QuantityAboveLimit => InvalidStatus,
        ReserveStatus.Busy => "busy",
        ReserveStatus.NotEnoughLeft => "not_enough_left",
        ReserveStatus.NotOpen => "not_open",
        ReserveStatus.Closed => "closed",
        _ => "unavailable",
    };

    public static string StateName(OrderState state) => state switch
    {
        OrderState.Reserved => "created",
        OrderState.Paid => "paid",
        OrderState.Cancelled => "cancelled",
        _ => "expired",
    };

    /// <summary>Reports this node's sales to the stock gauges until disposed.</summary>
    public static IDisposable Observe(SaleBoard board) => Track(Boards, board);

    /// <summary>Reports this node's view of the cluster to the members gauge until disposed.</summary>
    public static IDisposable Observe(ActorSystem system) => Track(Systems, system);

    /// <summary>Reports the order feed's lag to its gauge until disposed (by the feed, on the node where it runs).</summary>
    public static IDisposable Observe(OrderFeedLag lag) => Track(FeedLags, lag);

    /// <summary>Reports the shards this node hosts to the sharding gauges until disposed.</summary>
    public static IDisposable Observe(ShardCounts counts) => Track(Shards, counts);

    /// <summary>
    /// Reports the actor's mailbox to the depth gauge until disposed. The gauge counts the messages queued in the
    /// actor's cell when it is read, from the reader's thread (the mailbox's queue is a concurrent one): the actor
    /// itself does nothing for it, no timer and no message.
    /// </summary>
    public static IDisposable ObserveMailbox(string actorKind, string saleId, IActorContext context) =>
        Track(Mailboxes, new ObservedMailbox(actorKind, saleId, (ICell)context));

    private sealed class ObservedMailbox(string actorKind, string saleId, ICell cell)
    {
        public string ActorKind { get; } = actorKind;
        public string SaleId { get; } = saleId;
        public int Depth => cell.NumberOfMessages;
    }

    private static Registration<T> Track<T>(ConcurrentDictionary<T, byte> sources, T source) where T : notnull
    {
        sources[source] = 0;
        return new Registration<T>(sources, source);
    }

    private sealed class Registration<T>(ConcurrentDictionary<T, byte> sources, T source) : IDisposable where T : notnull
    {
        public void Dispose() => sources.TryRemove(source, out _);
    }

    private static IEnumerable<Measurement<long>> ObserveAllotments()
    {
        foreach (var board in Boards.Keys)
        {
            foreach (var (sale, allotment) in board.Allotments())
            {
                yield return new Measurement<long>(allotment, new KeyValuePair<string, object?>(SaleTag, sale));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObserveSoldOut()
    {
        foreach (var board in Boards.Keys)
        {
            foreach (var (sale, soldOut) in board.SoldOut())
            {
                yield return new Measurement<int>(soldOut ? 1 : 0, new KeyValuePair<string, object?>(SaleTag, sale));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObserveMembers()
    {
        foreach (var system in Systems.Keys)
        {
            var counts = new int[MemberStatusNames.Length];
            foreach (var member in Cluster.Get(system).State.Members)
            {
                counts[(int)member.Status]++;
            }
            for (var status = 0; status < counts.Length; status++)
            {
                yield return new Measurement<int>(counts[status], new KeyValuePair<string, object?>(StatusTag, MemberStatusNames[status]));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ObserveFeedLag()
    {
        foreach (var lag in FeedLags.Keys)
        {
            foreach (var (sale, reservations) in lag.BySale)
            {
                yield return new Measurement<long>(reservations, new KeyValuePair<string, object?>(SaleTag, sale));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObserveShards(Func<ShardCount, int> value)
    {
        foreach (var counts in Shards.Keys)
        {
            foreach (var (type, count) in counts.ByType)
            {
                yield return new Measurement<int>(value(count), new KeyValuePair<string, object?>(TypeTag, type));
            }
        }
    }

    /// <summary>One measurement per actor kind and sale: a sale's stopping actor and its successor add up.</summary>
    private static IEnumerable<Measurement<int>> ObserveMailboxes()
    {
        var depths = new Dictionary<(string ActorKind, string SaleId), int>();
        foreach (var mailbox in Mailboxes.Keys)
        {
            var key = (mailbox.ActorKind, mailbox.SaleId);
            depths[key] = depths.GetValueOrDefault(key) + mailbox.Depth;
        }
        return depths.Select(depth => new Measurement<int>(depth.Value,
            new KeyValuePair<string, object?>(ActorTag, depth.Key.ActorKind), new KeyValuePair<string, object?>(SaleTag, depth.Key.SaleId)));
    }
}
