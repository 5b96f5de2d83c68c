using System.Diagnostics;
using System.Net;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Tracing;

/// <summary>What tracing costs when it is off, and what a node traces at a sample ratio of 0.</summary>
[Collection(TracingCollection.Name)]
public sealed class TracingCostSpecs(RedisServerFixture redis)
{
    [Fact]
    public async Task Should_start_no_activity_in_the_process_when_tracing_is_off()
    {
        // arrange: a node with the default settings, and every change of any thread's current Activity counted
        await NoListenerLeftAsync();
        await using var node = await InProcessNode.StartSingleAsync(redis.ConnectionString);
        var sale = await Admin.CreateSaleAsync(node.Client, stock: 1, prefix: "to");
        using var changes = new CurrentActivityChanges();

        // act: a buy that goes through the StockActor, the InventoryActor and Redis, and one answered by the front
        using var reserved = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user=a");
        await Poll.UntilAsync(() => Task.FromResult(node.Board.TryAnswer(sale, "b", null, out _)), TimeSpan.FromSeconds(10), "the node did not learn the sell-out");
        using var soldOut = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user=b");

        // assert
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict), (reserved.StatusCode, soldOut.StatusCode));
        Assert.False(SpikeTracing.Source.HasListeners());
        Assert.Equal(0, changes.Count);
    }

    [Fact]
    public async Task Should_allocate_nothing_in_the_tracing_calls_of_the_buy_path_when_nothing_listens()
    {
        // arrange: every call warmed up once
        await NoListenerLeftAsync();
        IReadOnlyList<Buy> buyers = [Buy.Create("s", new ReserveItem("r", "u", 1)), Buy.Create("s", new ReserveItem("r2", "u2", 1))];
        TracingCallsOfOneBuy(buyers);
        var before = GC.GetAllocatedBytesForCurrentThread();

        // act
        for (var i = 0; i < 1_000; i++)
        {
            TracingCallsOfOneBuy(buyers);
        }

        // assert
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(SpikeTracing.Source.HasListeners());
    }

    [Fact]
    public async Task Should_trace_only_the_request_that_comes_sampled_when_the_sample_ratio_is_zero()
    {
        // arrange
        var spans = new SpanCollection();
        await using var node = await InProcessNode.StartSingleAsync(redis.ConnectionString, TracingCollection.Traced(sampleRatio: 0), services: spans.ExportFrom);
        var sale = await Admin.CreateSaleAsync(node.Client, stock: 5, prefix: "tz");
        var sampled = ActivityTraceId.CreateRandom();
        using var withParent = new HttpRequestMessage(HttpMethod.Get, $"/buy/ticket?sale={sale}&user=b");
        withParent.Headers.Add("traceparent", $"00-{sampled}-{ActivitySpanId.CreateRandom()}-01");

        // act: a buy decided by the ratio, then one whose caller sampled it (parent-based)
        int changesOfUnsampled;
        using (var changes = new CurrentActivityChanges())
        {
            using var unsampled = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user=a");
            Assert.Equal(HttpStatusCode.OK, unsampled.StatusCode);
            changesOfUnsampled = changes.Count;
        }
        using var answered = await node.Client.SendAsync(withParent);

        // assert: the sampled buy's spans come after any of the first buy's would have (the same actors ran them in
        // order), and they are all there is. The request's own span ends after its answer was sent, so the client can
        // read the answer before every span is exported.
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        await Poll.UntilAsync(() => Task.FromResult(spans.Of(sampled).Count >= 5), TimeSpan.FromSeconds(15), "the sampled buy's five spans were not exported");
        Assert.All(spans.Snapshot(), s => Assert.Equal(sampled, s.TraceId));
        Assert.Equal(5, spans.Of(sampled).Count);
        // Tracing on, even at ratio 0, ASP.NET Core starts an (unrecorded) Activity per request to propagate the decision.
        Assert.True(changesOfUnsampled > 0, "an unsampled request still has an Activity while tracing is on");
    }

    /// <summary>
    /// A node of an earlier spec may still be closing its tracer provider: its host is disposed after the node returns,
    /// and the OTLP exporter first tries to flush to a collector that is not there.
    /// </summary>
    private static Task NoListenerLeftAsync() =>
        Poll.UntilAsync(() => Task.FromResult(!SpikeTracing.Source.HasListeners()), TimeSpan.FromSeconds(30), "a tracer provider of an earlier spec still listens");

    private static void TracingCallsOfOneBuy(IReadOnlyList<Buy> buyers)
    {
        using var wait = SpikeTracing.StartStockWait("s");
        var batch = SpikeTracing.StartStockBatch("s", buyers);
        var inventory = SpikeTracing.StartInventoryBatch("s", default, buyers.Count);
        using (SpikeTracing.MakeCurrent(inventory))
        {
            using var reserve = SpikeTracing.StartRedisReserve("s", buyers.Count);
        }
        SpikeTracing.StopDetached(inventory);
        SpikeTracing.StopDetached(batch);
    }

    /// <summary>
    /// Counts every change of <see cref="Activity.Current"/> on any thread of the process (an Activity started, stopped,
    /// or carried into a continuation): zero means no Activity existed. Listening to it creates none.
    /// </summary>
    private sealed class CurrentActivityChanges : IDisposable
    {
        private int _count;

        public CurrentActivityChanges() => Activity.CurrentChanged += Changed;

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => Activity.CurrentChanged -= Changed;

        private void Changed(object? sender, ActivityChangedEventArgs change) => Interlocked.Increment(ref _count);
    }
}
