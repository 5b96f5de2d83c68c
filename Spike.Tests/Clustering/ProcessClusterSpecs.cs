using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Persistence.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Clustering;

/// <summary>
/// The demo topology as real processes — Redis, 2 inventory nodes, 4 API nodes weighted 1:2:3:4, nginx —
/// with nodes killed by SIGKILL. Buyers behave like real clients: they retry 502/503/429 and network
/// errors with the same request id until they get a final answer.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ProcessClusterSpecs(RedisServerFixture redis, ITestOutputHelper output)
{
    private static readonly int[] Weights = [1, 2, 3, 4];

    /// <param name="At">When the final answer arrived (UTC, the clock the nodes' logs use).</param>
    private sealed record Answer(string User, string Status, string? OrderId, string? Upstream, DateTime At);

    [Fact]
    public async Task Should_sell_every_ticket_exactly_once_when_an_api_node_and_an_inventory_node_are_killed_mid_sale()
    {
        await using var cluster = await ProcessCluster.StartAsync(redis, inventoryNodes: 2, Weights);
        const int stock = 2_000;
        const int buyers = 6_000;
        var sale = await cluster.CreateSaleAsync(stock);
        var finished = 0;
        var killed = new TaskCompletionSource();
        var killedAt = DateTime.MaxValue;
        var apiVictim = cluster.ApiNodes[^1];
        var inventoryVictim = cluster.InventoryNodes[0]; // the first seed, and the oldest: it hosts the shard coordinator

        using var concurrency = new SemaphoreSlim(100);
        var answers = await Task.WhenAll(Enumerable.Range(0, buyers).Select(async i =>
        {
            await concurrency.WaitAsync();
            try
            {
                var answer = await BuyUntilFinalAsync(cluster, sale, $"user{i}", $"req{i}");
                if (Interlocked.Increment(ref finished) == stock / 2) // half the tickets are still for sale
                {
                    killedAt = DateTime.UtcNow;
                    apiVictim.Kill();
                    inventoryVictim.Kill();
                    killed.SetResult();
                }
                return answer;
            }
            finally
            {
                concurrency.Release();
            }
        }));

        Assert.True(killed.Task.IsCompleted, "the nodes were never killed");
        var reserved = answers.Where(a => a.Status == "reserved").ToArray();
        var audit = await SaleAudit.ReadAsync(redis.Database, sale,
            reserved.Select(a => new ReservedAnswer(a.OrderId!, a.User)).ToArray(), new SaleAuditOptions { ExpectSoldOut = true });
        output.WriteLine($"answers by status: {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Key}={g.Count()}"))}\n{audit}");
        Assert.True(audit.Passed, $"{audit}\n{cluster.Logs()}");
        Assert.Equal(stock, audit.Counts.Total);
        foreach (var survivor in cluster.ApiNodes.Concat(cluster.InventoryNodes).Where(n => n != apiVictim && n != inventoryVictim))
        {
            Assert.True(await survivor.IsReadyAsync(), $"survivor {survivor.Role} {survivor.HttpPort} is not ready");
        }
        var late = await cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user=late");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);

        // The sale went on while the dead inventory node's shards could not move: its removal from the
        // cluster (which any move waits for) came after reserved answers that followed the kill.
        var inventorySurvivor = cluster.InventoryNodes.Single(n => n != inventoryVictim);
        var removedAt = await LoggedAtAsync(inventorySurvivor.Log, $"Member removed [akka.tcp://spike@127.0.0.1:{inventoryVictim.AkkaPort}]");
        var soldMeanwhile = reserved.Count(a => a.At > killedAt && a.At < removedAt);
        output.WriteLine($"killed at {killedAt:HH:mm:ss.fff}, removed at {removedAt:HH:mm:ss.fff}, {soldMeanwhile} reserved answers in between");
        Assert.True(soldMeanwhile > 0, $"no reserved answer between the kill ({killedAt:O}) and the removal ({removedAt:O})");

        // The order feed ran on the killed inventory node (the oldest): its successor creates every order, once.
        var stream = new RedisOrderStream(redis.Connection);
        await Poll.UntilAsync(async () => (await stream.ProgressAsync(sale))!.Lag == 0, TimeSpan.FromSeconds(60),
            $"the order feed did not catch up after its node was killed\n{cluster.Logs()}");
        Assert.Equal(stock, (await stream.ProgressAsync(sale))!.Orders);
        var events = await Task.WhenAll(reserved.Select(a =>
            redis.Database.SortedSetLengthAsync(PersistenceKeys.Events(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + a.OrderId))));
        Assert.All(events, count => Assert.Equal(1, count)); // one OrderCreated each: no order created twice, none missing
    }

    /// <summary>
    /// The time of the first line of a node's log that contains <paramref name="text"/> (Akka's "[LEVEL][date time]"
    /// prefix), waiting for it up to a minute: the sale may be over before the cluster has removed a dead node.
    /// </summary>
    private static async Task<DateTime> LoggedAtAsync(string log, string text)
    {
        string? line = null;
        await Poll.UntilAsync(async () =>
        {
            using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            line = (await reader.ReadToEndAsync()).Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            return line is not null;
        }, TimeSpan.FromSeconds(60), $"'{text}' did not appear in {log}");
        var stamp = line!.Split(']')[1].TrimStart('[');
        return DateTime.ParseExact(stamp, "MM/dd/yyyy HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
    }

    [Fact]
    public async Task Should_expire_every_unpaid_order_once_on_time_when_the_node_running_the_order_feed_is_killed()
    {
        await using var cluster = await ProcessCluster.StartAsync(redis, inventoryNodes: 2, [1, 1]);
        const int stock = 40;
        const int windowSeconds = 10;
        var sale = await cluster.CreateSaleAsync(stock, windowSeconds);
        var answers = await Task.WhenAll(Enumerable.Range(0, stock).Select(i => BuyUntilFinalAsync(cluster, sale, $"u{i}", $"r{i}")));
        Assert.All(answers, a => Assert.Equal("reserved", a.Status));
        var stream = new RedisOrderStream(redis.Connection);
        await Poll.UntilAsync(async () => (await stream.ProgressAsync(sale))!.Lag == 0, TimeSpan.FromSeconds(30), "the orders were not created");
        var lastPayBy = DateTime.UtcNow.AddSeconds(windowSeconds);

        // The oldest inventory node runs the order feed and hosts some of the orders (and their deadline timers).
        cluster.InventoryNodes[0].Kill();

        SaleAudit? audit = null;
        await Poll.UntilAsync(async () =>
        {
            audit = await AuditAsync(sale);
            Assert.True(audit.Passed, audit.ToString()); // each ticket released once: held + available == total throughout
            return audit.Counts.Expired == stock;
        }, lastPayBy.AddSeconds(45) - DateTime.UtcNow, $"not every unpaid order expired after its node was killed\n{cluster.Logs()}");
        Assert.Equal((0, stock), (audit!.Counts.Held, audit.Counts.Available));
    }

    [Fact]
    public async Task Should_share_traffic_by_weight_and_recover_from_a_redis_outage_mid_sale()
    {
        await using var cluster = await ProcessCluster.StartAsync(redis, inventoryNodes: 2, Weights);
        var sale = await cluster.CreateSaleAsync(stock: 1_500);

        // Traffic shares: 1,000 buyers, each node's share within 10% of its weight's.
        var firstWave = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => BuyUntilFinalAsync(cluster, sale, $"w{i}", $"w{i}")));
        var total = Weights.Sum();
        foreach (var node in cluster.ApiNodes)
        {
            var share = firstWave.Count(a => a.Upstream == $"127.0.0.1:{node.HttpPort}") / (double)firstWave.Length;
            var expected = node.Weight / (double)total;
            Assert.True(Math.Abs(share - expected) <= 0.1 * expected, $"node {node.HttpPort} weight {node.Weight}: share {share:P1}, expected {expected:P1}");
        }
        Assert.Equal(1_000, (await AuditAsync(sale)).Counts.Held);

        // Redis stops: every buyer gets a clear 503 and nothing is sold.
        await redis.StopAsync();
        HttpResponseMessage[] during;
        try
        {
            during = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user=d{i}&requestId=d{i}")));
        }
        finally
        {
            await redis.StartAsync();
        }
        Assert.All(during, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode));
        Assert.Equal(1_000, (await AuditAsync(sale)).Counts.Held);

        // Redis is back: the same buyers retry and the sale completes exactly.
        var rest = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => BuyUntilFinalAsync(cluster, sale, $"d{i}", $"d{i}")));
        Assert.Equal(500, rest.Count(a => a.Status == "reserved"));
        var audit = await AuditAsync(sale);
        Assert.Equal(1_500, audit.Counts.Held);
        audit.AssertConsistent();
    }

    /// <summary>A client that retries what the contract says to retry, with the same request id.</summary>
    private static async Task<Answer> BuyUntilFinalAsync(ProcessCluster cluster, string sale, string user, string requestId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                using var response = await cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user={user}&requestId={requestId}");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict)
                {
                    var json = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var upstream = response.Headers.TryGetValues("X-Spike-Upstream", out var values) ? values.Last() : null;
                    return new Answer(user, json.GetProperty("status").GetString()!,
                        json.TryGetProperty("orderId", out var orderId) ? orderId.GetString() : null, upstream, DateTime.UtcNow);
                }
                if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway
                    or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests))
                {
                    Assert.Fail($"unexpected {response.StatusCode} for {user}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // no answer at all: retry with the same request id
            }
            Assert.True(DateTime.UtcNow < deadline, $"{user} got no final answer within 120s");
            await Task.Delay(200);
        }
    }

    private Task<SaleAudit> AuditAsync(string sale) => SaleAudit.ReadAsync(redis.Database, sale);
}
