using System.Diagnostics;
using System.Globalization;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Persistence.Redis;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// The Redis authority of a sale's stock. Every method is one atomic Lua call (or one read); the key layout is
/// <see cref="SaleKeys"/>. Redis errors that mean "down" or "no answer in time" become
/// <see cref="InventoryUnavailableException"/>; a timeout leaves the outcome unknown, which a retry with the same
/// request ids resolves (the reserve script is idempotent per user and request id: a reserved answer for as long as
/// the sale exists, a refusal for at least the refusal retention, see <see cref="InventoryScripts.Reserve"/>).
/// </summary>
/// <remarks>
/// Callers validate requests first (quantity &gt; 0 and within the limit); the store throws
/// <see cref="ArgumentException"/> for malformed input instead of sending it.
/// </remarks>
public sealed class RedisInventoryStore : IInventoryStore
{
    /// <summary>How long a refusal is kept at least after the sale's last refusal, unless the constructor says otherwise.</summary>
    public static readonly TimeSpan DefaultRefusalRetention = TimeSpan.FromHours(1);

    private const int ReservationsPageSize = 1000;

    private static readonly RedisValue[] MetaFields =
    [
        SaleKeys.TotalField, SaleKeys.HeldField, SaleKeys.AvailableField, SaleKeys.LimitField, SaleKeys.WindowField,
        SaleKeys.SeqField, SaleKeys.ReserveCallsField, SaleKeys.OpensAtField, SaleKeys.ClosesAtField,
    ];

    private readonly IConnectionMultiplexer _connection;
    private readonly TimeProvider _time;
    private readonly long _refusalRetentionSeconds;

    /// <param name="refusalRetention">
    /// How long refusals are kept for retries at least (after the sale's last refusal), rounded up to whole seconds;
    /// <see cref="DefaultRefusalRetention"/> when null.
    /// </param>
    public RedisInventoryStore(IConnectionMultiplexer connection, TimeProvider? timeProvider = null, TimeSpan? refusalRetention = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var retention = refusalRetention ?? DefaultRefusalRetention;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero, nameof(refusalRetention));
        _connection = connection;
        _time = timeProvider ?? TimeProvider.System;
        _refusalRetentionSeconds = (long)Math.Ceiling(retention.TotalSeconds);
    }

    private IDatabase Db => _connection.GetDatabase();

    public async Task<ReserveBatchResult> ReserveAsync(
        string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        ArgumentNullException.ThrowIfNull(items);

        var keys = new RedisKey[]
        {
            SaleKeys.Meta(saleId), SaleKeys.Requests(saleId), SaleKeys.Refusals(saleId), SaleKeys.Users(saleId),
            SaleKeys.Reservations(saleId), SaleKeys.Orders(saleId),
        };
        var args = new RedisValue[3 + (items.Count * 3)];
        args[0] = saleId;
        args[1] = _time.GetUtcNow().ToUnixTimeMilliseconds();
        args[2] = _refusalRetentionSeconds;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item is null || item.RequestId is null || item.UserId is null)
            {
                throw new ArgumentException($"Item {i} lacks a request id or a user id.", nameof(items));
            }

            if (item.Quantity <= 0)
            {
                throw new ArgumentException($"Item {i} has quantity {item.Quantity}; it must be positive.", nameof(items));
            }

            args[3 + (i * 3)] = item.RequestId;
            args[4 + (i * 3)] = item.UserId;
            args[5 + (i * 3)] = item.Quantity;
        }

        using var span = SpikeTracing.StartRedisReserve(saleId, items.Count);
        var started = Stopwatch.GetTimestamp();
        RedisResult result;
        try
        {
            result = await CallAsync(
                db => db.ScriptEvaluateAsync(InventoryScripts.Reserve, keys, args), "the reserve script", cancellationToken);
        }
        catch (Exception e) when (span is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        SpikeMetrics.RedisReserveDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        var reply = (RedisResult[])result!;
        if ((long)reply[0] == 0)
        {
            // Not counted by sale: the id is the caller's, and the script counts no calls for a sale that does not exist.
            var unknown = new ItemOutcome[items.Count];
            Array.Fill(unknown, ItemOutcome.UnknownSale);
            return new ReserveBatchResult(false, 0, 0, unknown);
        }

        const int outcomesStart = 3;
        if (reply.Length != outcomesStart + items.Count)
        {
            throw new InvalidOperationException(
                $"The reserve script answered {reply.Length - outcomesStart} outcomes for {items.Count} items.");
        }

        var available = (long)reply[1];
        var outcomes = new ItemOutcome[items.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = ParseOutcome((string?)reply[outcomesStart + i], available);
        }

        SpikeMetrics.RedisReserveCalls.Add(1, new KeyValuePair<string, object?>(SpikeMetrics.SaleTag, saleId));
        return new ReserveBatchResult(true, available, (long)reply[2], outcomes);
    }

    public async Task<SaleReservations> GetReservationsAsync(string saleId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        return await CallAsync(
            async db =>
            {
                // seq first: the scan returns every reservation made before it starts, later ones maybe
                var seq = (long?)await db.HashGetAsync(SaleKeys.Meta(saleId), SaleKeys.SeqField) ?? 0;
                // keyed by order id: HSCAN may return a field twice when the hash is resized during the scan
                var entries = new Dictionary<string, ReservationEntry>(StringComparer.Ordinal);
                await foreach (var field in db.HashScanAsync(SaleKeys.Reservations(saleId), pageSize: ReservationsPageSize)
                    .WithCancellation(cancellationToken))
                {
                    var orderId = field.Name.ToString();
                    var record = ReservationRecord.Parse(field.Value.ToString());
                    entries.TryAdd(orderId, new ReservationEntry(
                        record.User, record.RequestId, ItemOutcome.Reserved(orderId, record.PayByUnixMs, record.Quantity)));
                }

                return new SaleReservations(seq, entries.Values.ToArray());
            },
            "reading the reservations",
            cancellationToken);
    }

    public async Task<SaleSnapshot?> GetSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        var values = await CallAsync(
            db => db.HashGetAsync(SaleKeys.Meta(saleId), MetaFields), "reading the sale", cancellationToken);
        if (values[0].IsNull)
        {
            return null;
        }

        return new SaleSnapshot(
            saleId, (long)values[0], (long)values[1], (long)values[2], (int)values[3], (int)values[4], (long?)values[5] ?? 0, (long?)values[6] ?? 0,
            new SaleSchedule((long?)values[7], (long?)values[8]));
    }

    public async Task<SaleCommandResult> ConfigureSaleAsync(
        string saleId, SaleSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Stock, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.Stock, SaleLimits.MaxTotal, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PerUserLimit, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PaymentWindowSeconds, 1, nameof(settings));
        if (SaleSchedule.Check(settings.Schedule.OpensAtUnixMs, settings.Schedule.ClosesAtUnixMs) is { } badSchedule)
        {
            throw new ArgumentException($"closesAt {badSchedule}.", nameof(settings));
        }

        var keys = new RedisKey[] { SaleKeys.Meta(saleId) };
        var args = new RedisValue[]
        {
            settings.Stock, settings.PerUserLimit, settings.PaymentWindowSeconds,
            OptionalInstant(settings.Schedule.OpensAtUnixMs), OptionalInstant(settings.Schedule.ClosesAtUnixMs),
        };
        var result = await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Configure, keys, args), "configuring the sale", cancellationToken);
        // Listed once it exists (the set is in another slot, so not in the script); a retry after a failure here
        // configures the same settings again and lists it.
        await CallAsync(db => db.SetAddAsync(SaleKeys.Sales, saleId), "listing the sale", cancellationToken);
        return ToCommandResult(saleId, (RedisResult[])result!);
    }

    public async Task<SaleCommandResult> AddStockAsync(
        string saleId, long amount, string? operationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(amount, SaleLimits.MaxTotal);
        if (operationId is { Length: 0 })
        {
            throw new ArgumentException("An operation id must not be empty; pass null for none.", nameof(operationId));
        }

        var keys = new RedisKey[] { SaleKeys.Meta(saleId), SaleKeys.Operations(saleId) };
        var args = new RedisValue[] { amount, SaleLimits.MaxTotal, operationId ?? string.Empty };
        var result = await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.AddStock, keys, args), "adding stock", cancellationToken);
        return ToCommandResult(saleId, (RedisResult[])result!);
    }

    /// <summary>An instant as the scripts take it: unix ms, or '' for none.</summary>
    private static RedisValue OptionalInstant(long? unixMs) => unixMs is { } value ? value : RedisValue.EmptyString;

    private static long? ParseOptionalInstant(RedisResult reply) =>
        (string?)reply is { Length: > 0 } text ? long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : null;

    /// <summary>A command script's answer: status, then the sale (total, held, available, limit, window, seq, opens, closes).</summary>
    public async Task<SaleCommandResult> CloseSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        var result = await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Close, [SaleKeys.Meta(saleId)]), "closing the sale", cancellationToken);
        return ToCommandResult(saleId, (RedisResult[])result!);
    }

    /// <remarks>
    /// The orders' journals live in other slots, so no script can take them with the sale: they go first, once a check
    /// says the sale may go, then the script checks again and deletes the sale's keys. A failure in between leaves the
    /// sale in place and a retry finishes the job; if the sale came back to life meanwhile (reopened), only journals of
    /// settled orders are gone, and an order actor rebuilds a settled order from the store.
    /// </remarks>
    public async Task<SaleCommandResult> DeleteSaleAsync(string saleId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        var keys = SaleKeys.All(saleId).Select(key => (RedisKey)key).ToArray();
        var check = ToCommandResult(saleId, (RedisResult[])(await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Delete, keys, ["0"]), "checking the sale can be deleted", cancellationToken))!);
        if (check.Status != SaleCommandStatus.Deleted)
        {
            return check;
        }

        await DeleteJournalsAsync(saleId, check.Sale!.ReservationSeq, cancellationToken);
        var deleted = ToCommandResult(saleId, (RedisResult[])(await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Delete, keys, ["1"]), "deleting the sale", cancellationToken))!);
        if (deleted.Status == SaleCommandStatus.Deleted)
        {
            await CallAsync(db => db.SetRemoveAsync(SaleKeys.Sales, saleId), "unlisting the sale", cancellationToken);
        }
        return deleted;
    }

    /// <summary>The journal and snapshots of the sale's orders 1 to <paramref name="orders"/>, key by key (they are in other slots).</summary>
    private async Task DeleteJournalsAsync(string saleId, long orders, CancellationToken cancellationToken)
    {
        const int KeysAtOnce = 3 * 1000;
        var keys = new List<RedisKey>(KeysAtOnce);
        for (var seq = 1L; seq <= orders; seq++)
        {
            var persistenceId = OrderActor.PersistenceIdPrefix + SaleKeys.OrderId(saleId, seq);
            keys.Add(PersistenceKeys.Events(SaleKeys.Prefix, persistenceId));
            keys.Add(PersistenceKeys.HighestSequenceNr(SaleKeys.Prefix, persistenceId));
            keys.Add(PersistenceKeys.Snapshots(SaleKeys.Prefix, persistenceId));
            if (keys.Count >= KeysAtOnce || seq == orders)
            {
                var batch = keys.ToArray();
                keys.Clear();
                await CallAsync(db => Task.WhenAll(batch.Select(key => db.KeyDeleteAsync(key))), "deleting the orders' journals", cancellationToken);
            }
        }
    }

    private static SaleCommandResult ToCommandResult(string saleId, RedisResult[] reply)
    {
        var status = (SaleCommandStatus)(int)reply[0];
        if (reply.Length < 9)
        {
            return new SaleCommandResult(saleId, status, null);
        }

        var sale = new SaleSnapshot(
            saleId, (long)reply[1], (long)reply[2], (long)reply[3], (int)reply[4], (int)reply[5], (long)reply[6],
            Schedule: new SaleSchedule(ParseOptionalInstant(reply[7]), ParseOptionalInstant(reply[8])));
        return new SaleCommandResult(saleId, status, sale);
    }

    /// <param name="available">Tickets left after the call: what a "not enough left" answer reports.</param>
    private static ItemOutcome ParseOutcome(string? code, long available)
    {
        switch (code)
        {
            case InventoryScripts.SoldOutCode:
                return ItemOutcome.SoldOut;
            case InventoryScripts.LimitReachedCode:
                return ItemOutcome.LimitReached;
            case InventoryScripts.NotEnoughLeftCode:
                return ItemOutcome.NotEnough(available);
            case InventoryScripts.ClosedCode:
                return ItemOutcome.Closed;
            case not null when code.StartsWith(InventoryScripts.NotOpenPrefix, StringComparison.Ordinal)
                && long.TryParse(code.AsSpan(InventoryScripts.NotOpenPrefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var opensAt):
                return ItemOutcome.NotOpen(opensAt);
            case not null when code.StartsWith(InventoryScripts.ReservedPrefix, StringComparison.Ordinal):
                // R:<payBy>:<quantity>:<orderId>; the order id comes last, so it may hold colons
                var rest = code.AsSpan(InventoryScripts.ReservedPrefix.Length);
                var payByEnd = rest.IndexOf(':');
                if (payByEnd <= 0
                    || !long.TryParse(rest[..payByEnd], NumberStyles.None, CultureInfo.InvariantCulture, out var payBy))
                {
                    break;
                }

                rest = rest[(payByEnd + 1)..];
                var quantityEnd = rest.IndexOf(':');
                if (quantityEnd > 0
                    && int.TryParse(rest[..quantityEnd], NumberStyles.None, CultureInfo.InvariantCulture, out var quantity))
                {
                    return ItemOutcome.Reserved(rest[(quantityEnd + 1)..].ToString(), payBy, quantity);
                }

                break;
        }

        throw new InvalidOperationException($"The reserve script answered an unknown outcome '{code}'.");
    }

    private Task<T> CallAsync<T>(Func<IDatabase, Task<T>> call, string what, CancellationToken cancellationToken) =>
        RedisCall.RunAsync(() => call(Db), what, cancellationToken);
}
