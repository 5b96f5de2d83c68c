using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>The runtime's thread-pool instruments read from a node's Prometheus scrape (<see cref="RuntimeMetrics"/>).</summary>
public sealed class RuntimeMetricsSpecs
{
    /// <summary>As a node's /metrics serves them (OpenTelemetry's Prometheus exporter, System.Runtime meter).</summary>
    private const string Scrape = """
        # TYPE dotnet_thread_pool_queue_length_total counter
        # HELP dotnet_thread_pool_queue_length_total The number of work items that are currently queued to be processed by the thread pool.
        dotnet_thread_pool_queue_length_total{otel_scope_name="System.Runtime"} 610
        # TYPE dotnet_thread_pool_thread_count_total counter
        # HELP dotnet_thread_pool_thread_count_total The number of thread pool threads that currently exist.
        dotnet_thread_pool_thread_count_total{otel_scope_name="System.Runtime"} 7
        # TYPE dotnet_thread_pool_work_item_count_total counter
        dotnet_thread_pool_work_item_count_total{otel_scope_name="System.Runtime"} 1023
        spike_buy_outcomes_total{otel_scope_name="Spike",status="reserved",sale="a b"} 3 1795676211000

        """;

    [Fact]
    public void Should_read_the_thread_count_and_the_queue_length_when_the_exporter_suffixes_them_with_total()
    {
        Assert.Equal(7, RuntimeMetrics.Value(Scrape, RuntimeMetrics.ThreadPoolThreads));
        Assert.Equal(610, RuntimeMetrics.Value(Scrape, RuntimeMetrics.ThreadPoolQueue));
    }

    [Fact]
    public void Should_sum_the_label_sets_and_skip_the_timestamp_when_a_metric_has_several()
    {
        const string scrape = "dotnet_thread_pool_queue_length{pool=\"a\"} 2 1795676211000\ndotnet_thread_pool_queue_length{pool=\"b\"} 3\ndotnet_thread_pool_queue_length 1e1\n";

        Assert.Equal(15, RuntimeMetrics.Value(scrape, RuntimeMetrics.ThreadPoolQueue));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# TYPE dotnet_thread_pool_queue_length_total counter\n")]
    [InlineData("dotnet_thread_pool_queue_length_total_more 4\ndotnet_thread_pool_queue 5\n")]
    [InlineData("dotnet_thread_pool_queue_length NaN-ish\n")]
    public void Should_have_no_value_when_the_scrape_has_no_sample_of_the_metric(string scrape) =>
        Assert.Null(RuntimeMetrics.Value(scrape, RuntimeMetrics.ThreadPoolQueue));
}
