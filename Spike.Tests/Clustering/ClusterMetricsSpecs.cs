using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Spike.Actors;
using Spike.Host.Hosting;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Clustering;

/// <summary>
/// Spike's gauges as Prometheus scrapes them from a real node process (<see cref="ObservedClusterFixture"/>): one node
/// per process, so a gauge holds that node's value alone.
/// </summary>
[Collection(ObservedClusterCollection.Name)]
public sealed partial class ClusterMetricsSpecs(ObservedClusterFixture observed)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private ProcessCluster Cluster => observed.Cluster;

    [Fact]
    public async Task Should_report_the_shards_and_entities_the_regions_host_when_a_small_sale_sold_out()
    {
        // arrange
        var sale = await Cluster.CreateSaleAsync(stock: 3);
        var inventory = Cluster.InventoryNodes[0];

        // act: 3 buyers through nginx (the sale's InventoryActor and 3 OrderActors start on the inventory node)
        foreach (var buyer in Enumerable.Range(0, 3))
        {
            using var answer = await Cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user=u{buyer}&requestId=r{buyer}");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // assert: the node's gauges come to equal what its regions answer the command host (orders passivate meanwhile)
        foreach (var type in new[] { SpikeNodeExtensions.InventoryTypeName, SpikeNodeExtensions.OrderTypeName })
        {
            (double Shards, double Entities) gauges = default, regions = default;
            await Poll.UntilAsync(async () =>
            {
                var metrics = await ScrapeAsync(inventory);
                gauges = (Gauge(metrics, "spike_sharding_shards", SpikeMetrics.TypeTag, type), Gauge(metrics, "spike_sharding_entities", SpikeMetrics.TypeTag, type));
                regions = await HostedAsync(inventory, type);
                return gauges == regions && gauges.Shards >= 1;
            }, Patience, $"{type}: the gauges read {gauges}, the regions answer {regions}");
        }
    }

    [Fact]
    public async Task Should_report_the_admin_apis_order_lag_as_feed_lag_when_the_feed_created_the_orders_of_a_sale()
    {
        // arrange
        var sale = await Cluster.CreateSaleAsync(stock: 3);
        using var admin = new HttpClient { BaseAddress = new Uri(Cluster.ApiNodes[0].Url) };

        // act
        foreach (var buyer in Enumerable.Range(0, 3))
        {
            using var answer = await Cluster.Nginx.GetAsync($"/buy/ticket?sale={sale}&user=u{buyer}&requestId=r{buyer}");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // assert: the node that runs the feed (the only inventory node) reports the lag the admin API reads
        double gauge = double.NaN;
        long orderLag = -1;
        await Poll.UntilAsync(async () =>
        {
            orderLag = (await Admin.ReadSaleAsync(admin, sale)).GetProperty("orderLag").GetInt64();
            gauge = Gauge(await ScrapeAsync(Cluster.InventoryNodes[0]), "spike_orders_feed_lag", SpikeMetrics.SaleTag, sale);
            return orderLag == 0 && gauge == orderLag;
        }, Patience, $"the feed lag gauge read {gauge}, the admin API {orderLag}");
    }

    private static async Task<string> ScrapeAsync(ClusterNode node) => await Http.GetStringAsync(node.Url + SpikeNodeExtensions.MetricsPath);

    /// <summary>The value of the sample of <paramref name="name"/> labelled <paramref name="label"/>=<paramref name="value"/>; NaN when there is none.</summary>
    private static double Gauge(string metrics, string name, string label, string value) => Sample().Matches(metrics)
        .Where(sample => sample.Groups["name"].Value == name && sample.Groups["labels"].Value.Contains($"{label}=\"{value}\"", StringComparison.Ordinal))
        .Select(sample => double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture))
        .DefaultIfEmpty(double.NaN)
        .Single();

    /// <summary>The shards of the type on the node and their entities, as <c>cluster-sharding shard-stats</c> asks every region.</summary>
    private static async Task<(double Shards, double Entities)> HostedAsync(ClusterNode node, string type)
    {
        var lines = (await node.RunCommandAsync($"cluster-sharding shard-stats -r {type}")).Output
            .Select(line => ShardLine().Match(line))
            .Where(line => line.Success && line.Groups["address"].Value == node.AkkaAddress)
            .ToArray();
        return (lines.Length, lines.Sum(line => int.Parse(line.Groups["entities"].Value, CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"^shard: \S+ \| (?<address>\S+) \| entities: (?<entities>\d+)$")]
    private static partial Regex ShardLine();
}
