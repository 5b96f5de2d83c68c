using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Cli.Bench;

/// <summary>
/// The Redis keys a bench leaves: its sales' keys (hundreds of thousands of reservations), and the journals of their
/// orders. Every sale of a bench is named <c>&lt;run-id&gt;-&lt;label&gt;</c>, so the run id finds them all.
/// </summary>
public static class BenchKeys
{
    /// <summary>SCAN MATCH patterns of every key of the bench's sales and orders.</summary>
    public static IReadOnlyList<string> Patterns(string runId) => [SaleKeys.KeysOf(runId + "-*"), OrderJournals(runId)];

    /// <summary>
    /// The journals of the bench's orders: Spike.Persistence.Redis's PersistenceKeys with the nodes' key prefix
    /// (<see cref="SaleKeys.Prefix"/>) and an order's persistence id, <c>order-&lt;orderId&gt;</c>, order ids being
    /// <c>&lt;sale&gt;-&lt;n&gt;</c>. The tool does not reference that library (it would bring Akka in); BenchKeysSpecs checks
    /// this pattern against PersistenceKeys and the order actor's persistence id.
    /// </summary>
    public static string OrderJournals(string runId) => SaleKeys.Prefix + "journal:{order-" + runId + "-*";

    /// <summary>UNLINKs every key of the bench, listed first in <paramref name="keysFile"/>; returns how many there were.</summary>
    public static async Task<int> RemoveAsync(IConnectionMultiplexer redis, string runId, string keysFile)
    {
        var server = redis.GetServers()[0];
        var keys = new List<RedisKey>();
        foreach (var pattern in Patterns(runId))
        {
            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 1000))
            {
                keys.Add(key);
            }
        }
        await File.WriteAllLinesAsync(keysFile, keys.Select(k => k.ToString()));
        var database = redis.GetDatabase();
        foreach (var chunk in keys.Chunk(100))
        {
            await database.ExecuteAsync("UNLINK", [.. chunk.Select(k => (object)k)]);
        }
        return keys.Count;
    }
}
