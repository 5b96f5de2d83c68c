using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>Reading one wrk run of a bench from its .out file: real outputs of bench/spike.lua and bench/sellout.lua.</summary>
public sealed class WrkRunSpecs
{
    [Fact]
    public void Should_read_rates_percentiles_statuses_errors_latency_and_cpu_when_given_a_spike_lua_output()
    {
        var path = BenchSamples.PathOf(BenchSamples.Ping);

        var run = WrkRun.Read(path);

        Assert.Equal("ping", run.Label);
        Assert.Equal(5609, run.Requests);
        Assert.Equal(3.1, run.Seconds);
        Assert.Equal(1809.4, run.RequestsPerSecond);
        Assert.Equal((3.119, 4.296, 7.278, 214.885), (run.P50Ms, run.P90Ms, run.P99Ms, run.MaxMs));
        Assert.Equal((5617L, 0L), (run.Sent, run.Pending));
        Assert.Equal(new Dictionary<int, long> { [200] = 5609 }, run.Statuses);
        Assert.Equal(new WrkSocketErrors(0, 0, 0, 0), run.Errors);
        Assert.Equal([50, 75, 90, 95, 99, 99.9, 99.99], run.Latency.Select(p => p.Percentile));
        Assert.Equal([3.119, 3.671, 4.296, 4.764, 7.278, 187.21, 214.885], run.Latency.Select(p => p.Milliseconds));
        Assert.Equal(
            [new CpuShare("node", 0.62), new CpuShare("rest", 0.05), new CpuShare("redis", 0.11), new CpuShare("wrk", 0.41),
             new CpuShare("irq", 0.02), new CpuShare("other", 0.07)],
            run.Cpu);
    }

    [Fact]
    public void Should_read_sent_answered_and_retried_without_latency_when_given_a_sellout_lua_output()
    {
        var text = BenchSamples.Text(BenchSamples.Sellout);

        var run = WrkRun.Parse("s", text, BenchSamples.Sellout);

        Assert.Equal((450L, 3768L, 0L), (run.Sent, run.Answered, run.Retried));
        Assert.Equal(new Dictionary<int, long> { [404] = 3768 }, run.Statuses);
        Assert.Null(run.RequestsPerSecond);
        Assert.Null(run.P99Ms);
        Assert.Empty(run.Latency);
        Assert.Equal(7, run.Cpu.Count);
    }

    [Fact]
    public void Should_add_up_socket_errors_and_keep_statuses_in_code_order_when_the_run_had_both()
    {
        var output = "Running 10s test @ http://127.0.0.1:8080\nPENDING 1-17\n" +
            "RESULT requests=10 seconds=1.000 rps=10.0 s503=2 s200=7 s409=1 err_connect=1 err_read=3 err_write=0 err_timeout=2\n";

        var run = WrkRun.Parse("n", output, "n.out");

        Assert.Equal([200, 409, 503], run.Statuses.Keys);
        Assert.Equal(new WrkSocketErrors(1, 3, 0, 2), run.Errors);
        Assert.Equal(6, run.Errors.Total);
    }

    [Fact]
    public void Should_name_the_file_and_the_missing_line_when_wrk_printed_no_RESULT_line()
    {
        var output = "Running 10s test @ http://127.0.0.1:8080\n  2 threads and 100 connections\nunable to connect to 127.0.0.1:8080 Connection refused\n";

        var error = Assert.Throws<FormatException>(() => WrkRun.Parse("n", output, "/runs/c1/n.out"));

        Assert.StartsWith("/runs/c1/n.out: no RESULT line.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_name_the_key_and_the_value_when_a_value_is_not_a_number()
    {
        var output = "RESULT requests=10 seconds=1.000 rps=fast\n";

        var error = Assert.Throws<FormatException>(() => WrkRun.Parse("n", output, "n.out"));

        Assert.Equal("n.out: RESULT rps=fast: 'fast' is not a number", error.Message);
    }
}
