using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Spike.Commands;
using Spike.Host.Hosting;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Clustering;

/// <summary>Several real nodes joined on loopback ports inside the test process, against a real Redis.</summary>
[Collection(RedisCollection.Name)]
public sealed class InProcessClusterSpecs(RedisServerFixture redis) : IAsyncLifetime
{
    private static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(40);
    private readonly List<InProcessNode> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or AggregateException)
            {
                // a downed node has already stopped itself
            }
        }
    }

    /// <summary>The inventory nodes (the seeds) first, then the API nodes, every port a free one.</summary>
    private async Task<InProcessNode[]> StartAsync(int inventoryNodes, int apiNodes)
    {
        var count = inventoryNodes + apiNodes;
        var topology = Topology.Plan(new TopologySettings
        {
            InventoryNodes = inventoryNodes,
            InventoryPorts = Ports(inventoryNodes),
            ApiPorts = Ports(apiNodes),
            AkkaPorts = Ports(count),
            CommandPorts = Ports(count),
            NginxPort = FreePort.Next(),
            Redis = redis.ConnectionString,
            AdminToken = Admin.Token,
        });
        var settings = new Dictionary<string, string> { ["Spike:Buy:LeaseChunk"] = "100", ["Spike:Buy:RequestTimeout"] = "00:00:03" };
        var nodes = topology.Nodes.Select(n => new InProcessNode(n, settings)).ToArray();
        _nodes.AddRange(nodes);
        // The first seed first: the cluster forms around it.
        await nodes[0].WaitUntilReadyAsync(FormationTimeout);
        await Task.WhenAll(nodes.Skip(1).Select(n => n.WaitUntilReadyAsync(FormationTimeout)));
        return nodes;
    }

    private static int[] Ports(int count) => [.. Enumerable.Range(0, count).Select(_ => FreePort.Next())];

    private static Task<string> CreateSaleAsync(InProcessNode node, long stock) => Admin.CreateSaleAsync(node.Client, stock, prefix: "c");

    private static async Task<(HttpStatusCode Code, string Status, string? OrderId)> BuyAsync(InProcessNode node, string sale, string user, string? requestId = null)
    {
        using var response = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user={user}" + (requestId is null ? "" : $"&requestId={requestId}"));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, json.GetProperty("status").GetString()!, json.TryGetProperty("orderId", out var id) ? id.GetString() : null);
    }

    private static async Task DownAsync(InProcessNode survivor, InProcessNode victim)
    {
        var victimAddress = victim.Address;
        Cluster.Get(survivor.ActorSystem).Down(victimAddress);
        await Poll.UntilAsync(
            () => Task.FromResult(Cluster.Get(survivor.ActorSystem).State.Members.All(m => m.Address != victimAddress)),
            TimeSpan.FromSeconds(30), "the downed node was not removed");
    }

    private static bool IsSoldOut(InProcessNode node, string sale) =>
        node.Board.TryAnswer(sale, "anyone", null, out var outcome) && outcome.Status == Spike.Actors.Inventory.ReserveStatus.SoldOut;

    private async Task<long> HeldAsync(string sale)
    {
        var audit = await SaleAudit.ReadAsync(redis.Database, sale);
        audit.AssertConsistent();
        return audit.Counts.Held;
    }

    [Fact]
    public async Task Should_sell_a_downed_nodes_allotment_through_the_surviving_node()
    {
        var (inventory, doomed, survivor) = await StartAsync(inventoryNodes: 1, apiNodes: 2) is var n ? (n[0], n[1], n[2]) : default;
        var sale = await CreateSaleAsync(inventory, stock: 10);
        Assert.Equal("reserved", (await BuyAsync(doomed, sale, "u0")).Status); // its lease now holds the other 9

        await DownAsync(inventory, doomed);
        var answers = await Task.WhenAll(Enumerable.Range(1, 9).Select(i => BuyAsync(survivor, sale, $"u{i}")));

        Assert.All(answers, a => Assert.Equal("reserved", a.Status));
        Assert.Equal(10, await HeldAsync(sale));
        var late = await BuyAsync(survivor, sale, "late");
        Assert.Equal((HttpStatusCode.Conflict, "sold_out"), (late.Code, late.Status));
    }

    [Fact]
    public async Task Should_tell_every_node_when_the_sale_sells_out()
    {
        var (inventory, first, second) = await StartAsync(inventoryNodes: 1, apiNodes: 2) is var n ? (n[0], n[1], n[2]) : default;
        var sale = await CreateSaleAsync(inventory, stock: 2);
        Assert.Equal("reserved", (await BuyAsync(first, sale, "a")).Status);

        Assert.Equal("reserved", (await BuyAsync(second, sale, "b")).Status);

        await Poll.UntilAsync(() => Task.FromResult(IsSoldOut(first, sale) && IsSoldOut(second, sale)),
            TimeSpan.FromSeconds(10), "not every node learnt the sell-out");
        Assert.Equal("sold_out", (await BuyAsync(first, sale, "c")).Status);
        Assert.Equal(2, await HeldAsync(sale));
    }

    [Fact]
    public async Task Should_resolve_a_batch_in_flight_on_a_dying_inventory_node_through_its_request_id()
    {
        var nodes = await StartAsync(inventoryNodes: 2, apiNodes: 1);
        var api = nodes[2];
        var sale = await CreateSaleAsync(api, stock: 5);
        Assert.Equal("reserved", (await BuyAsync(api, sale, "warmup")).Status);
        var host = await HostOfAsync(nodes[..2], sale);
        var other = nodes[..2].Single(n => n != host);

        // Redis stalls, so the batch is in flight on the entity's node when that node is downed.
        var stall = redis.Database.ExecuteAsync("DEBUG", "SLEEP", "1.5");
        var first = BuyAsync(api, sale, "buyer", requestId: "once");
        await DownAsync(other, host);
        await stall;
        var firstAnswer = await first;

        var retried = await Poll.UntilResultAsync(
            async () => await BuyAsync(api, sale, "buyer", requestId: "once") is var a && a.Status == "reserved" ? a : default((HttpStatusCode, string, string?)?),
            TimeSpan.FromSeconds(40), "the retry with the same request id never resolved");

        Assert.True(firstAnswer.Status is "reserved" or "unavailable", firstAnswer.Status);
        if (firstAnswer.Status == "reserved")
        {
            Assert.Equal(firstAnswer.OrderId, retried.Item3);
        }
        Assert.Equal(2, await HeldAsync(sale));
    }

    private static async Task<InProcessNode> HostOfAsync(InProcessNode[] inventoryNodes, string sale)
    {
        foreach (var node in inventoryNodes)
        {
            var region = ClusterSharding.Get(node.ActorSystem).ShardRegion(SpikeNodeExtensions.InventoryTypeName);
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            if (state.Shards.Any(s => s.EntityIds.Contains(sale)))
            {
                return node;
            }
        }
        throw new InvalidOperationException($"no inventory node hosts {sale}");
    }

    [Fact]
    public async Task Should_sell_everything_and_answer_every_buyer_when_buyers_of_one_to_four_race_on_two_nodes()
    {
        var (inventory, first, second) = await StartAsync(inventoryNodes: 1, apiNodes: 2) is var n ? (n[0], n[1], n[2]) : default;
        const int stock = 57;
        var sale = await Admin.CreateSaleAsync(inventory.Client, stock, perUserLimit: 4, prefix: "q");
        var nodes = new[] { first, second };

        // 120 buyers of 1-4 tickets (demand 300), then 40 late buyers of one, all retrying until final.
        var buyers = Enumerable.Range(0, 120).Select(i => (User: $"m{i}", Quantity: (i % 4) + 1))
            .Concat(Enumerable.Range(0, 40).Select(i => (User: $"late{i}", Quantity: 1))).ToArray();
        var wave = await Task.WhenAll(buyers.Take(120).Select((b, i) => BuyUntilFinalAsync(nodes[i % 2], sale, b.User, b.Quantity)));
        var late = await Task.WhenAll(buyers.Skip(120).Select((b, i) => BuyUntilFinalAsync(nodes[i % 2], sale, b.User, b.Quantity)));
        var answers = wave.Concat(late).ToArray();

        Assert.All(answers, a => Assert.True(a.Status is "reserved" or "sold_out" or "not_enough_left", a.Status));
        Assert.Equal(stock, answers.Where(a => a.Status == "reserved").Sum(a => a.Quantity));
        var audit = await SaleAudit.ReadAsync(redis.Database, sale);
        audit.AssertConsistent();
        Assert.Equal(stock, audit.Counts.Held);
    }

    private static async Task<(string Status, int Quantity)> BuyUntilFinalAsync(InProcessNode node, string sale, string user, int quantity)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user={user}&quantity={quantity}&requestId=r-{user}");
            var json = await response.Content.ReadFromJsonAsync<JsonElement>();
            var status = json.GetProperty("status").GetString()!;
            if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict)
            {
                return (status, json.TryGetProperty("quantity", out var q) ? q.GetInt32() : 0);
            }
            Assert.True(response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests, $"{user}: {response.StatusCode} {status}");
            Assert.True(DateTime.UtcNow < deadline, $"{user} got no final answer within 60 s");
        }
    }
}
