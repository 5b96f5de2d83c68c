using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// Which sales Redis holds, for the order feed and for operators (the command host's <c>sale list</c>): the set
/// <see cref="SaleKeys.Sales"/> that configuring a sale adds to. Ids whose sale is gone (its keys deleted) are dropped
/// from the set as they are found, so the set never has to be kept by whoever deletes a sale.
/// </summary>
public sealed class SaleCatalog(IConnectionMultiplexer connection)
{
    /// <summary>Sale ids in ordinal order, at most <paramref name="limit"/> of them.</summary>
    /// <exception cref="InventoryUnavailableException">Redis is down or does not answer in time.</exception>
    public Task<IReadOnlyList<string>> ListSaleIdsAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var db = connection.GetDatabase();
        return RedisCall.RunAsync<IReadOnlyList<string>>(async () =>
        {
            var ids = (await db.SetMembersAsync(SaleKeys.Sales)).Select(id => id.ToString()).Order(StringComparer.Ordinal).ToArray();
            var exists = await Task.WhenAll(ids.Select(id => db.KeyExistsAsync(SaleKeys.Meta(id))));
            var gone = ids.Where((_, i) => !exists[i]).Select(id => (RedisValue)id).ToArray();
            if (gone.Length > 0)
            {
                await db.SetRemoveAsync(SaleKeys.Sales, gone);
            }
            return [.. ids.Where((_, i) => exists[i]).Take(limit)];
        }, "listing the sales", cancellationToken);
    }
}
