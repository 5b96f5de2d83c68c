using Spike.Actors.Inventory;
using Spike.Host.Redis;

namespace Spike.Tests.Support;

/// <summary>A sale in Redis with one reservation per buyer, made by the real reserve script: buyer i is user <c>u{i}</c>, request <c>r{i}</c>.</summary>
public static class ReservedSale
{
    /// <summary>The sale (named <paramref name="prefix"/> and a random part) and its order ids, in the buyers' order.</summary>
    public static async Task<(string Sale, string[] OrderIds)> CreateAsync(
        RedisInventoryStore inventory, string prefix, long stock, int buyers, int quantity = 1, int paymentWindowSeconds = 600)
    {
        var sale = prefix + Guid.NewGuid().ToString("N")[..12];
        await inventory.ConfigureSaleAsync(sale, new SaleSettings(stock, quantity, paymentWindowSeconds));
        var items = Enumerable.Range(0, buyers).Select(i => new ReserveItem($"r{i}", $"u{i}", quantity)).ToArray();
        var result = await inventory.ReserveAsync(sale, items);
        Assert.All(result.Outcomes, o => Assert.Equal(ReserveStatus.Reserved, o.Status));
        return (sale, result.Outcomes.Select(o => o.OrderId!).ToArray());
    }
}
