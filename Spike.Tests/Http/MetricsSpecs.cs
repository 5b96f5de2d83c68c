using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spike.Actors;
using Spike.Api.Admission;
using Spike.Api.Endpoints;
using Spike.Host.Hosting;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

public sealed class MetricsSpecs(SpikeAppFixture app) : IClassFixture<SpikeAppFixture>
{
    [Fact]
    public async Task Should_count_what_the_buyers_were_told_and_redis_ran_when_a_small_sale_sells_out()
    {
        // arrange: a sale of 3 and a listener counting its measurements
        var sale = await Admin.CreateSaleAsync(app.Client, stock: 3);
        using var counts = new SaleCounters(sale);

        // act: 8 buyers at once
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=u{i}&requestId=r{i}");
            return (await response.Content.ReadFromJsonAsync<StatusResponse>())!.Status;
        }));

        // assert
        var audit = await SaleAudit.ReadAsync(app.Redis.Database, sale);
        using var view = Admin.Request(HttpMethod.Get, $"/admin/sales/{sale}");
        using var viewed = await app.Client.SendAsync(view);
        var saleView = (await viewed.Content.ReadFromJsonAsync<SaleResponse>())!;
        Assert.Equal(3, audit.Counts.Held);
        Assert.Equal(audit.Counts.Held, counts.Of(SpikeMetrics.BuyOutcomesName, "reserved"));
        Assert.Equal(answers.Count(a => a == "sold_out"), counts.Of(SpikeMetrics.BuyOutcomesName, "sold_out"));
        Assert.Equal(saleView.ReserveCalls, counts.Of(SpikeMetrics.RedisReserveCallsName));
        Assert.True(counts.Of(SpikeMetrics.StockBatchSizeName) >= 3, "the batches carried the 3 buyers that reserved at least");
    }

    [Fact]
    public async Task Should_count_a_buy_abandoned_not_unavailable_when_its_buyer_goes_away_before_the_outcome()
    {
        // arrange: Redis holds every write, so the buy waits for its batch's outcome
        var sale = await Admin.CreateSaleAsync(app.Client, stock: 10);
        using var saleCounts = new SaleCounters(sale);
        using var untagged = new SaleCounters(sale: null);
        var admission = app.Services.GetRequiredService<BuyAdmission>();
        var permits = app.Services.GetRequiredService<IOptions<AdmissionOptions>>().Value.MaxConcurrentBuys;
        await app.Redis.Server.ExecuteAsync("CLIENT", "PAUSE", "30000", "WRITE");
        try
        {
            using var leaving = new CancellationTokenSource();
            var buy = app.Client.GetAsync($"/buy/ticket?sale={sale}&user=leaves&requestId=r-leaves", leaving.Token);
            await Poll.UntilAsync(() => Task.FromResult(admission.Statistics?.CurrentAvailablePermits < permits),
                TimeSpan.FromSeconds(10), "the buy never got past admission");

            // act: the buyer closes its request
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => buy);

            // assert (untagged: other classes' nodes share the meter, so at least this one)
            await Poll.UntilAsync(() => Task.FromResult(untagged.Of(SpikeMetrics.BuyOutcomesName, SpikeMetrics.AbandonedStatus) >= 1),
                TimeSpan.FromSeconds(10), "the buy was never counted abandoned");
        }
        finally
        {
            await app.Redis.Server.ExecuteAsync("CLIENT", "UNPAUSE");
        }
        Assert.Equal(0, saleCounts.Of(SpikeMetrics.BuyOutcomesName, "unavailable"));
    }

    [Fact]
    public async Task Should_answer_prometheus_text_on_the_node_port_when_metrics_are_enabled()
    {
        // arrange: the node answered a buy
        var sale = await Admin.CreateSaleAsync(app.Client, stock: 1);
        using var bought = await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=u1");

        // act
        using var scraped = await app.Client.GetAsync(SpikeNodeExtensions.MetricsPath);

        // assert
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Equal("text/plain", scraped.Content.Headers.ContentType?.MediaType);
        var text = await scraped.Content.ReadAsStringAsync();
        Assert.Contains("spike_buy_outcomes", text, StringComparison.Ordinal);
        Assert.Contains($"sale=\"{sale}\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_not_serve_metrics_when_they_are_disabled()
    {
        // arrange: a node of its own, on the same Redis
        await using var node = await InProcessNode.StartSingleAsync(app.Redis.ConnectionString, new Dictionary<string, string>
        {
            ["Spike:Metrics:Enabled"] = "false",
        });

        // act
        using var scraped = await node.Client.GetAsync(SpikeNodeExtensions.MetricsPath);

        // assert
        Assert.Equal(HttpStatusCode.NotFound, scraped.StatusCode);
    }

    /// <summary>
    /// Sums every Spike measurement tagged with one sale, by instrument and status (durations: their count). The
    /// meter is the process's, and other tests sell meanwhile: the sale's own id keeps their measurements out.
    /// </summary>
    private sealed class SaleCounters : IDisposable
    {
        /// <summary>The sale whose measurements count; null: those without a sale.</summary>
        private readonly string? _sale;
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Instrument, string? Status), long> _sums = new();

        public SaleCounters(string? sale)
        {
            _sale = sale;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SpikeMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Add(instrument, 1, tags));
            _listener.Start();
        }

        public long Of(string instrument, string? status = null) => _sums.GetValueOrDefault((instrument, status));

        private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? sale = null, status = null;
            foreach (var (key, tagValue) in tags)
            {
                if (key == SpikeMetrics.SaleTag)
                {
                    sale = tagValue as string;
                }
                else if (key == SpikeMetrics.StatusTag)
                {
                    status = tagValue as string;
                }
            }
            if (sale == _sale)
            {
                _sums.AddOrUpdate((instrument.Name, status), value, (_, sum) => sum + value);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
