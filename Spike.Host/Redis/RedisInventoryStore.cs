using System.Globalization;
using Spike.Actors.Inventory;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// The Redis authority of a sale's stock. Every method is one atomic Lua call (or one read); the key layout is
/// <see cref="SaleKeys"/>. Redis errors that mean "down" or "no answer in time" become
/// <see cref="InventoryUnavailableException"/>; a timeout leaves the outcome unknown, which a retry with the same
/// request ids resolves (the reserve script is idempotent per user and request id).
/// </summary>
/// <remarks>
/// Callers validate requests first (quantity &gt; 0 and within the limit); the store throws
/// <see cref="ArgumentException"/> for malformed input instead of sending it.
/// </remarks>
public sealed class RedisInventoryStore : IInventoryStore
{
    private static readonly RedisValue[] MetaFields =
    [
        SaleKeys.TotalField, SaleKeys.HeldField, SaleKeys.AvailableField, SaleKeys.LimitField, SaleKeys.WindowField,
    ];

    private readonly IConnectionMultiplexer _connection;
    private readonly TimeProvider _time;

    public RedisInventoryStore(IConnectionMultiplexer connection, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _time = timeProvider ?? TimeProvider.System;
    }

    private IDatabase Db => _connection.GetDatabase();

    public async Task<ReserveBatchResult> ReserveAsync(
        string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        ArgumentNullException.ThrowIfNull(items);

        var keys = new RedisKey[]
        {
            SaleKeys.Meta(saleId), SaleKeys.Requests(saleId), SaleKeys.Users(saleId),
            SaleKeys.Reservations(saleId), SaleKeys.Orders(saleId),
        };
        var args = new RedisValue[2 + (items.Count * 3)];
        args[0] = saleId;
        args[1] = _time.GetUtcNow().ToUnixTimeMilliseconds();
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

            args[2 + (i * 3)] = item.RequestId;
            args[3 + (i * 3)] = item.UserId;
            args[4 + (i * 3)] = item.Quantity;
        }

        var result = await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Reserve, keys, args), "the reserve script", cancellationToken);

        var reply = (RedisResult[])result!;
        if ((long)reply[0] == 0)
        {
            var unknown = new ItemOutcome[items.Count];
            Array.Fill(unknown, ItemOutcome.UnknownSale);
            return new ReserveBatchResult(false, 0, unknown);
        }

        if (reply.Length != 2 + items.Count)
        {
            throw new InvalidOperationException(
                $"The reserve script answered {reply.Length - 2} outcomes for {items.Count} items.");
        }

        var outcomes = new ItemOutcome[items.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = ParseOutcome((string?)reply[2 + i]);
        }

        return new ReserveBatchResult(true, (long)reply[1], outcomes);
    }

    public async Task<IReadOnlyList<ItemOutcome?>> ResolveAsync(
        string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default)
    {
        var fields = items.Select(i => (RedisValue)SaleKeys.RequestKey(i.UserId, i.RequestId)).ToArray();
        var codes = await CallAsync(db => db.HashGetAsync(SaleKeys.Requests(saleId), fields), "the retry lookup", cancellationToken);
        return codes.Select(code => code.IsNull ? null : ParseOutcome(code)).ToArray();
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
            saleId, (long)values[0], (long)values[1], (long)values[2], (int)values[3], (int)values[4]);
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

        var keys = new RedisKey[] { SaleKeys.Meta(saleId) };
        var args = new RedisValue[] { settings.Stock, settings.PerUserLimit, settings.PaymentWindowSeconds };
        var result = await CallAsync(
            db => db.ScriptEvaluateAsync(InventoryScripts.Configure, keys, args), "configuring the sale", cancellationToken);
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

    private static SaleCommandResult ToCommandResult(string saleId, RedisResult[] reply)
    {
        var status = (SaleCommandStatus)(int)reply[0];
        if (reply.Length < 6)
        {
            return new SaleCommandResult(saleId, status, null);
        }

        var sale = new SaleSnapshot(
            saleId, (long)reply[1], (long)reply[2], (long)reply[3], (int)reply[4], (int)reply[5]);
        return new SaleCommandResult(saleId, status, sale);
    }

    private static ItemOutcome ParseOutcome(string? code)
    {
        switch (code)
        {
            case InventoryScripts.SoldOutCode:
                return ItemOutcome.SoldOut;
            case InventoryScripts.LimitReachedCode:
                return ItemOutcome.LimitReached;
            case not null when code.StartsWith(InventoryScripts.ReservedPrefix, StringComparison.Ordinal):
                var rest = code.AsSpan(InventoryScripts.ReservedPrefix.Length);
                var colon = rest.IndexOf(':');
                if (colon > 0 && long.TryParse(rest[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var payBy))
                {
                    return ItemOutcome.Reserved(rest[(colon + 1)..].ToString(), payBy);
                }

                break;
        }

        throw new InvalidOperationException($"The reserve script answered an unknown outcome '{code}'.");
    }

    /// <summary>Runs one Redis call and turns "down / no answer" into <see cref="InventoryUnavailableException"/>.</summary>
    private async Task<T> CallAsync<T>(Func<IDatabase, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await call(Db).WaitAsync(cancellationToken);
        }
        catch (RedisTimeoutException ex)
        {
            throw new InventoryUnavailableException(
                $"Redis did not answer {what} in time; the outcome is unknown: retry with the same request ids.", ex);
        }
        catch (RedisConnectionException ex)
        {
            throw new InventoryUnavailableException($"Redis is unreachable ({what}).", ex);
        }
        catch (RedisServerException ex) when (IsUnavailable(ex))
        {
            throw new InventoryUnavailableException($"Redis cannot serve {what} now: {ex.Message}", ex);
        }
    }

    /// <summary>Server errors that mean "not now" (loading, failover, busy script, memory) rather than a bug.</summary>
    private static bool IsUnavailable(RedisServerException ex)
    {
        var message = ex.Message;
        return message.StartsWith("LOADING", StringComparison.Ordinal)
            || message.StartsWith("BUSY", StringComparison.Ordinal)
            || message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || message.StartsWith("READONLY", StringComparison.Ordinal)
            || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || message.StartsWith("NOSCRIPT", StringComparison.Ordinal)
            || message.StartsWith("OOM", StringComparison.Ordinal);
    }
}
