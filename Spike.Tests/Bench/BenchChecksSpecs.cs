using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>The ratios, verdicts and rows of the bench's tables (<see cref="BenchChecks"/>).</summary>
public sealed class BenchChecksSpecs
{
    [Theory]
    [InlineData(6948.8, 15196.2, 0.46)]
    [InlineData(1204.9, 1000.0, 1.20)]
    public void Should_round_the_ratio_to_two_decimals_when_the_divisor_is_positive(double a, double b, double expected) =>
        Assert.Equal(expected, BenchChecks.Ratio(a, b));

    [Fact]
    public void Should_have_no_ratio_and_miss_when_the_divisor_is_zero()
    {
        var ratio = BenchChecks.Ratio(100, 0);

        Assert.Null(ratio);
        Assert.Equal("n/a", BenchChecks.Fixed(ratio, 2));
        Assert.Equal(BenchChecks.Miss, BenchChecks.Verdict(ratio >= 1.2));
    }

    [Theory]
    [InlineData(true, "PASS")]
    [InlineData(false, "MISS")]
    public void Should_pass_or_miss_a_timing_check_when_its_runs_were_quiet(bool pass, string verdict)
    {
        var quiet = RunWithOther(0.15);

        Assert.Equal(verdict, BenchChecks.TimingVerdict([quiet, quiet], pass));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Should_say_noisy_when_other_processes_used_more_than_0_15_cores_during_one_of_its_runs(bool pass) =>
        Assert.Equal(BenchChecks.Noisy, BenchChecks.TimingVerdict([RunWithOther(0), RunWithOther(0.16)], pass));

    [Fact]
    public void Should_note_only_the_noisy_runs_when_given_several()
    {
        var notes = BenchChecks.NoisyNotes([RunWithOther(0.20, "n"), RunWithOther(0.01, "d")]).ToArray();

        var note = Assert.Single(notes);
        Assert.Equal("NOTE: other processes used 0.20 CPU cores during run (n): its numbers are disturbed (NOISY); rerun on a quiet machine.", note);
    }

    [Fact]
    public void Should_fill_every_column_of_a_runs_row_when_given_a_parsed_buy_track_run()
    {
        var run = WrkRun.Read(BenchSamples.PathOf(BenchSamples.BuyTrack));
        var table = new TextTable(-38, 9, 8, 8, 9, 9, 6, 6, 6, 6, -44);

        var row = BenchChecks.RunRow(table, "(n) success path, through nginx", run, ["api", "inventory", "nginx", "redis"]);

        Assert.Equal(
            "| (n) success path, through nginx        |      6949 |   12.387 |   37.970 |     20942 |         0 |      0 |      0 |      0 |      0 | 0.65 / 0.25 / 0.24 / 0.22 / 0.15 / 0.17 / 0.20 |",
            row);
    }

    [Fact]
    public void Should_count_unexpected_statuses_as_other_and_show_missing_cpu_groups_as_unknown_when_given_a_run_without_them()
    {
        var run = WrkRun.Read(BenchSamples.PathOf(BenchSamples.Sellout));
        var table = new TextTable(-28, 9, 8, 8, 9, 9, 6, 6, 6, 6, -45);

        var row = BenchChecks.RunRow(table, "(s)", run, ["node"]);

        Assert.Equal(
            "| (s)                          |         0 |    0.000 |    0.000 |         0 |         0 |      0 |      0 |   3768 |      0 | ? / 0.48 / 0.01 / 0.93                        |",
            row);
    }

    [Fact]
    public void Should_draw_the_rule_two_dashes_wider_than_each_column_when_given_the_widths() =>
        Assert.Equal("|------------|------|", new TextTable(-10, 4).Rule);

    [Fact]
    public void Should_show_each_api_nodes_share_next_to_its_weights_when_given_the_sellouts_upstream_lines()
    {
        var shares = BenchChecks.UpstreamShares(BenchSamples.Text(BenchSamples.SelloutCluster), "127.0.0.1", [3301, 3302], [1, 2]);

        Assert.Equal("3301 33.3% (w 33%), 3302 66.7% (w 67%)", shares);
    }

    [Fact]
    public void Should_divide_the_server_processes_cpu_by_the_reserved_answers_when_given_a_run()
    {
        var run = WrkRun.Read(BenchSamples.PathOf(BenchSamples.BuyTrack));

        var milliseconds = BenchChecks.CpuMillisecondsPerAnswer(run);

        // (0.65 + 0.25 + 0.24 + 0.22) cores x 3.014 s / 20942 answers 200
        Assert.Equal("0.196", BenchChecks.Fixed(milliseconds, 3));
    }

    private static WrkRun RunWithOther(double cores, string label = "a") =>
        WrkRun.Parse(label, $"RESULT requests=1 rps=1.0\nCPU node=0.50 wrk=0.10 irq=0.01 other={cores:0.00}\n", label + ".out");
}
