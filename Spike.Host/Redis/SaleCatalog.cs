using Spike.Actors.Inventory;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// Which sales Redis holds, for operators (the command host's <c>sale list</c>): a SCAN over the sales' meta keys on
/// every primary, never KEYS, so a large keyspace is walked in pages without blocking Redis.
/// </summary>
public sealed class SaleCatalog(IConnectionMultiplexer connection)
{
    private const int PageSize = 500;

    /// <summary>Sale ids in ordinal order, at most <paramref name="limit"/> of them (the first ones SCAN returns).</summary>
    /// <exception cref="InventoryUnavailableException">Redis is down or does not answer in time.</exception>
    public async Task<IReadOnlyList<string>> ListSaleIdsAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var ids = new List<string>();
        try
        {
            foreach (var server in connection.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            {
                await foreach (var key in server.KeysAsync(pattern: SaleKeys.MetaPattern, pageSize: PageSize).WithCancellation(cancellationToken))
                {
                    ids.Add(SaleKeys.SaleIdOfMeta(key!));
                    if (ids.Count == limit)
                    {
                        return [.. ids.Order(StringComparer.Ordinal)];
                    }
                }
            }
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            throw new InventoryUnavailableException("Redis could not be scanned for sales", e);
        }
        return ids.Count == 0 && !connection.GetServers().Any(s => s.IsConnected)
            ? throw new InventoryUnavailableException("Redis is not connected")
            : [.. ids.Order(StringComparer.Ordinal)];
    }
}
