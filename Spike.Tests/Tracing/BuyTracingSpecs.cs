using System.Diagnostics;
using System.Net;
using Spike.Actors;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Tracing;

/// <summary>
/// Traces of the buy path in a real cluster (<see cref="TracedCluster"/>: an API node and an inventory node) against a
/// real Redis. The API node has only a proxy of the inventory region, so every InventoryActor runs on the inventory
/// node, and its span's parent can only have come with the batch message, through the serializer: it is remote.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class BuyTracingSpecs(RedisServerFixture redis, TracedCluster cluster) : IClassFixture<TracedCluster>
{
    private static readonly TimeSpan SpanTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Should_chain_the_request_the_wait_the_batch_the_inventory_and_redis_in_one_trace_when_a_buy_is_sampled()
    {
        // arrange
        var api = await cluster.StartAsync(redis.ConnectionString);
        var sale = await Admin.CreateSaleAsync(api.Client, stock: 5, prefix: "tr");

        // act
        using var response = await api.Client.GetAsync($"/buy/ticket?sale={sale}&user=secret-user-name");

        // assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var wait = await SpanAsync(s => IsOf(s, SpikeTracing.StockWaitName, sale));
        await Poll.UntilAsync(() => Task.FromResult(cluster.Spans.Of(wait.TraceId).Count >= 5), SpanTimeout, "the trace did not reach Redis");
        var trace = cluster.Spans.Of(wait.TraceId);
        var request = Assert.Single(trace, s => s.Source.Name == "Microsoft.AspNetCore");
        var batch = Assert.Single(trace, s => s.OperationName == SpikeTracing.StockBatchName);
        var inventory = Assert.Single(trace, s => s.OperationName == SpikeTracing.InventoryBatchName);
        var reserve = Assert.Single(trace, s => s.OperationName == SpikeTracing.RedisReserveName);
        Assert.Equal(5, trace.Count);
        Assert.Equal(default, request.ParentSpanId);
        Assert.Equal(request.SpanId, wait.ParentSpanId);
        Assert.Equal(wait.SpanId, batch.ParentSpanId);
        Assert.Equal(batch.SpanId, inventory.ParentSpanId);
        Assert.True(inventory.HasRemoteParent, "the inventory's span must take its parent from the batch message");
        Assert.False(batch.HasRemoteParent);
        Assert.Equal(inventory.SpanId, reserve.ParentSpanId);
        Assert.Equal((ActivityKind.Server, ActivityKind.Producer, ActivityKind.Consumer, ActivityKind.Client), (request.Kind, batch.Kind, inventory.Kind, reserve.Kind));
        Assert.All(new[] { wait, batch, inventory, reserve }, s => Assert.Equal(sale, s.GetTagItem(SpikeTracing.SaleTag)));
        Assert.Equal((1, 1, 1), (batch.GetTagItem(SpikeTracing.BatchSizeTag), inventory.GetTagItem(SpikeTracing.BatchSizeTag), reserve.GetTagItem(SpikeTracing.BatchSizeTag)));
        Assert.Equal(1, inventory.GetTagItem(SpikeTracing.BatchReservedTag));
        Assert.Equal("reserved", wait.GetTagItem(SpikeTracing.BuyStatusTag));
        // The query's values (the buyer's name among them) stay out of the request's span.
        Assert.DoesNotContain(trace.SelectMany(s => s.TagObjects), tag => tag.Value?.ToString()?.Contains("secret-user-name", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Should_parent_a_batch_on_its_first_traced_buyer_and_link_the_others_when_it_carries_several()
    {
        // arrange: the node holds a lease, and Redis stalls, so the first of four buyers' batch stays in flight while
        // the other three arrive and wait for the next batch (one batch in flight per sale)
        var api = await cluster.StartAsync(redis.ConnectionString);
        var sale = await Admin.CreateSaleAsync(api.Client, stock: 10, prefix: "tl");
        using (var warmup = await api.Client.GetAsync($"/buy/ticket?sale={sale}&user=warmup"))
        {
            Assert.Equal(HttpStatusCode.OK, warmup.StatusCode);
        }
        var stall = redis.Database.ExecuteAsync("DEBUG", "SLEEP", "2");

        // act
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => api.Client.GetAsync($"/buy/ticket?sale={sale}&user=b{i}")));
        await stall;

        // assert
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var batch = await SpanAsync(s => IsOf(s, SpikeTracing.StockBatchName, sale) && (s.GetTagItem(SpikeTracing.BatchTracedBuyersTag) as int?) == 3);
        var inventory = await SpanAsync(s => s.OperationName == SpikeTracing.InventoryBatchName && s.ParentSpanId == batch.SpanId);
        var reserve = await SpanAsync(s => s.OperationName == SpikeTracing.RedisReserveName && s.ParentSpanId == inventory.SpanId);
        var waits = cluster.Spans.Snapshot().Where(s => IsOf(s, SpikeTracing.StockWaitName, sale)).ToList();
        var first = Assert.Single(waits, w => w.SpanId == batch.ParentSpanId);
        var linked = batch.Links.Select(link => Assert.Single(waits, w => w.Context.TraceId == link.Context.TraceId && w.SpanId == link.Context.SpanId)).ToList();
        Assert.Equal(2, linked.Count);
        Assert.Equal(3, linked.Append(first).Select(w => w.TraceId).Distinct().Count());
        Assert.Equal(3, batch.GetTagItem(SpikeTracing.BatchSizeTag));
        Assert.Equal((first.TraceId, first.TraceId), (inventory.TraceId, reserve.TraceId));
        Assert.Equal(3, reserve.GetTagItem(SpikeTracing.BatchSizeTag));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    private static bool IsOf(Activity span, string name, string sale) =>
        span.OperationName == name && Equals(span.GetTagItem(SpikeTracing.SaleTag), sale);

    private async Task<Activity> SpanAsync(Func<Activity, bool> match)
    {
        await Poll.UntilAsync(() => Task.FromResult(cluster.Spans.Snapshot().Any(match)), SpanTimeout, "the span was not exported");
        return cluster.Spans.Snapshot().Single(match);
    }
}
