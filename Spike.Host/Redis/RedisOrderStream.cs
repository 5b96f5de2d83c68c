using System.Globalization;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// The sales' order streams in Redis, read through the consumer group <see cref="SaleKeys.OrderFeedGroup"/> by one
/// consumer. The consumer's name is fixed, so a feed started on another node after its node died reads the entries the
/// dead one had read and not acknowledged (its pending entries) before new ones. Keys come from <see cref="SaleKeys"/>.
/// </summary>
public sealed class RedisOrderStream(IConnectionMultiplexer connection) : IOrderStream
{
    /// <summary>The one consumer of the group.</summary>
    public const string ConsumerName = "feed";

    /// <summary>
    /// KEYS: stream, state, due. ARGV: group, then per entry: entry id ('' for none), order id, deadline (unix ms; ''
    /// for a malformed entry). Acknowledges each entry and puts its order on the deadlines unless it is settled already
    /// (a buyer may pay or cancel before the feed gets to the order; settling takes it off).
    /// </summary>
    private const string AcknowledgeScript = """
        for i = 2, #ARGV, 3 do
          if ARGV[i] ~= '' then
            redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
          end
          if ARGV[i + 2] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[i + 1]) == 0 then
            redis.call('ZADD', KEYS[3], ARGV[i + 2], ARGV[i + 1])
          end
        end
        return 1
        """;

    private readonly SaleCatalog _catalog = new(connection);

    public Task<IReadOnlyList<string>> ListSalesAsync(CancellationToken cancellationToken = default) =>
        _catalog.ListSaleIdsAsync(int.MaxValue, cancellationToken);

    public async Task<IReadOnlyList<OrderEntry>> ReadAsync(string saleId, int count, CancellationToken cancellationToken = default)
    {
        var db = connection.GetDatabase();
        var stream = SaleKeys.Orders(saleId);
        return await RedisCall.RunAsync(async () =>
        {
            StreamEntry[] entries;
            try
            {
                entries = await db.StreamReadGroupAsync(stream, SaleKeys.OrderFeedGroup, ConsumerName, StreamPosition.Beginning, count);
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                if (!await db.KeyExistsAsync(stream))
                {
                    return [];
                }
                // The group starts at the stream's first entry, so no reservation made before it is missed.
                await CreateGroupAsync(db, stream);
                entries = [];
            }
            if (entries.Length == 0)
            {
                entries = await db.StreamReadGroupAsync(stream, SaleKeys.OrderFeedGroup, ConsumerName, StreamPosition.NewMessages, count);
            }
            return entries.Select(entry => ToOrderEntry(saleId, entry)).ToArray();
        }, "reading an order stream", cancellationToken);
    }

    public async Task<DateTime?> LastReservationAtAsync(string saleId, CancellationToken cancellationToken = default)
    {
        var db = connection.GetDatabase();
        var last = await RedisCall.RunAsync(
            () => db.StreamRangeAsync(SaleKeys.Orders(saleId), count: 1, messageOrder: StackExchange.Redis.Order.Descending),
            "reading an order stream's newest entry", cancellationToken);
        return last.Length == 0 ? null : EntryTime(last[0].Id.ToString());
    }

    /// <summary>When a stream entry was added: Redis makes its id <c>&lt;unix ms&gt;-&lt;n&gt;</c>.</summary>
    private static DateTime EntryTime(string entryId) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(entryId.AsSpan(0, entryId.IndexOf('-')), CultureInfo.InvariantCulture)).UtcDateTime;

    public Task AcknowledgeAsync(string saleId, IReadOnlyList<OrderEntry> entries, CancellationToken cancellationToken = default) =>
        RunAcknowledgeAsync(saleId, [.. entries.Select(e => (e.EntryId, e.Order?.OrderId, e.Order?.PayByUnixMs))], "acknowledging order entries", cancellationToken);

    public Task AddDeadlinesAsync(string saleId, IReadOnlyList<LedgerOrder> orders, CancellationToken cancellationToken = default) =>
        RunAcknowledgeAsync(saleId, [.. orders.Select(o => (string.Empty, (string?)o.OrderId, (long?)o.PayByUnixMs))], "adding order deadlines", cancellationToken);

    private Task RunAcknowledgeAsync(
        string saleId, IReadOnlyList<(string EntryId, string? OrderId, long? PayBy)> entries, string what, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }
        var args = new RedisValue[1 + (entries.Count * 3)];
        args[0] = SaleKeys.OrderFeedGroup;
        for (var i = 0; i < entries.Count; i++)
        {
            args[1 + (i * 3)] = entries[i].EntryId;
            args[2 + (i * 3)] = entries[i].OrderId ?? string.Empty;
            args[3 + (i * 3)] = entries[i].PayBy is { } payBy ? payBy : RedisValue.EmptyString;
        }
        RedisKey[] keys = [SaleKeys.Orders(saleId), SaleKeys.OrderStates(saleId), SaleKeys.OrderDeadlines(saleId)];
        var db = connection.GetDatabase();
        return RedisCall.RunAsync(() => db.ScriptEvaluateAsync(AcknowledgeScript, keys, args), what, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DueAsync(string saleId, long nowUnixMs, int count, CancellationToken cancellationToken = default)
    {
        var db = connection.GetDatabase();
        var due = await RedisCall.RunAsync(
            () => db.SortedSetRangeByScoreAsync(SaleKeys.OrderDeadlines(saleId), stop: nowUnixMs, take: count),
            "reading order deadlines", cancellationToken);
        return due.Select(orderId => orderId.ToString()).ToArray();
    }

    public async Task<OrderProgress?> ProgressAsync(string saleId, CancellationToken cancellationToken = default)
    {
        var db = connection.GetDatabase();
        var (meta, group) = await RedisCall.RunAsync(async () =>
        {
            var metaTask = db.HashGetAsync(SaleKeys.Meta(saleId), [SaleKeys.SeqField, SaleKeys.PaidField, SaleKeys.ReleasedField, SaleKeys.TotalField]);
            StreamGroupInfo? feed = null;
            try
            {
                feed = (await db.StreamGroupInfoAsync(SaleKeys.Orders(saleId))).FirstOrDefault(g => g.Name == SaleKeys.OrderFeedGroup);
            }
            catch (RedisServerException)
            {
                // No stream yet: no reservation, no order.
            }
            return (await metaTask, feed);
        }, "reading a sale's orders", cancellationToken);
        if (meta[3].IsNull)
        {
            return null;
        }
        // Entries delivered to the feed and acknowledged: each is an order it created.
        var orders = group is { } g ? Math.Max(0, (g.EntriesRead ?? 0) - g.PendingMessageCount) : 0;
        return new OrderProgress(Count(meta[0]), Count(meta[1]), Count(meta[2]), orders);
    }

    public async Task<SaleLedger?> ReadLedgerAsync(string saleId, CancellationToken cancellationToken = default)
    {
        // Orders created first: it only grows, so every order counted as created was on the deadlines when they are read.
        if (await ProgressAsync(saleId, cancellationToken) is not { } progress)
        {
            return null;
        }
        var db = connection.GetDatabase();
        var (held, records, states, due, entries) = await RedisCall.RunAsync(async () =>
        {
            var read = db.CreateTransaction();
            var heldTask = read.HashGetAsync(SaleKeys.Meta(saleId), SaleKeys.HeldField);
            var recordsTask = read.HashGetAllAsync(SaleKeys.Reservations(saleId));
            var statesTask = read.HashGetAllAsync(SaleKeys.OrderStates(saleId));
            var dueTask = read.SortedSetRangeByRankAsync(SaleKeys.OrderDeadlines(saleId));
            var entriesTask = read.StreamLengthAsync(SaleKeys.Orders(saleId));
            await read.ExecuteAsync();
            return (await heldTask, await recordsTask, await statesTask, await dueTask, await entriesTask);
        }, "reading a sale's orders", cancellationToken);
        var settled = states.ToDictionary(s => s.Name.ToString(), s => RedisOrderStore.ParseState(s.Value.ToString()), StringComparer.Ordinal);
        var orders = records.Select(r =>
        {
            var orderId = r.Name.ToString();
            var record = ReservationRecord.Parse(r.Value.ToString());
            var seq = long.Parse(orderId.AsSpan(orderId.LastIndexOf('-') + 1), CultureInfo.InvariantCulture);
            return new LedgerOrder(orderId, seq, record.Quantity, record.PayByUnixMs, settled.GetValueOrDefault(orderId, OrderState.Reserved));
        }).ToArray();
        return new SaleLedger(saleId, Count(held), entries, progress.Orders, orders,
            due.Select(d => d.ToString()).ToHashSet(StringComparer.Ordinal));
    }

    private static long Count(RedisValue value) => value.IsNull ? 0 : (long)value;

    private static async Task CreateGroupAsync(IDatabase db, RedisKey stream)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, SaleKeys.OrderFeedGroup, StreamPosition.Beginning, createStream: false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Created meanwhile.
        }
    }

    private static OrderEntry ToOrderEntry(string saleId, StreamEntry entry)
    {
        var orderId = entry[SaleKeys.OrderIdField].ToString();
        var user = entry[SaleKeys.UserField].ToString();
        if (user.Length > 0
            && int.TryParse(entry[SaleKeys.QuantityField].ToString(), out var quantity) && quantity > 0
            && long.TryParse(entry[SaleKeys.PayByField].ToString(), out var payBy)
            && SaleKeys.TrySaleOfOrder(orderId, out var sale) && sale == saleId)
        {
            return new OrderEntry(entry.Id.ToString(), new OrderCreated(orderId, saleId, user, quantity, payBy));
        }
        return new OrderEntry(entry.Id.ToString(), null);
    }
}
