using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>The overload bench's node figures and checks (<see cref="NodeFigures"/>, <see cref="OverloadChecks"/>).</summary>
public sealed class OverloadChecksSpecs
{
    private const long Mb = 1024 * 1024;

    private static readonly NodeSample[] Samples =
    [
        new(0.0, 300 * Mb, 4, 0),
        new(1.0, 380 * Mb, 7, 0), // the last before the overload: its start
        new(1.5, 400 * Mb, 7, 610),
        new(2.0, null, null, null), // a scrape that failed under load
        new(2.5, 450 * Mb, 9, 20),
        new(3.0, 420 * Mb, 8, 0),
    ];

    [Fact]
    public void Should_start_at_the_last_sample_before_the_overload_and_end_at_the_last_when_given_samples()
    {
        var figures = NodeFigures.Of(Samples, overloadStartSeconds: 1.2);

        Assert.Equal(new NodeFigures(380 * Mb, 450 * Mb, 420 * Mb, 7, 9, 8, 610, 0), figures);
        Assert.Equal(70 * Mb, figures.RssGrowth);
        Assert.Equal(2, figures.ThreadsAdded);
    }

    [Fact]
    public void Should_have_no_figures_when_there_are_no_samples()
    {
        var figures = NodeFigures.Of([], overloadStartSeconds: 0);

        Assert.Equal(new NodeFigures(null, null, null, null, null, null, null, null), figures);
        Assert.False(OverloadChecks.MemoryFlat(figures));
        Assert.False(OverloadChecks.NoStarvation(figures, cores: 2));
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void Should_call_memory_flat_only_when_the_growth_is_within_256_mb(long growthMb, bool flat) =>
        Assert.Equal(flat, OverloadChecks.MemoryFlat(new NodeFigures(100 * Mb, (100 + growthMb) * Mb, 100 * Mb, 4, 4, 4, 0, 0)));

    [Theory]
    [InlineData(4, true)]
    [InlineData(5, false)]
    public void Should_see_starvation_when_the_pool_added_more_than_two_threads_per_core(int added, bool healthy) =>
        Assert.Equal(healthy, OverloadChecks.NoStarvation(new NodeFigures(1, 1, 1, 3, 3 + added, 3, 0, 0), cores: 2));

    [Theory]
    [InlineData(500, true)]
    [InlineData(500.1, false)]
    public void Should_keep_admitted_answers_bounded_only_when_their_p99_is_within_500_ms(double p99, bool bounded) =>
        Assert.Equal(bounded, OverloadChecks.AdmittedWithinBound(ProbeSummary.Of([new ProbeAnswer(0, p99, 200, "reserved")])));

    [Fact]
    public void Should_not_call_admitted_answers_bounded_when_none_was_admitted() =>
        Assert.False(OverloadChecks.AdmittedWithinBound(ProbeSummary.Of([new ProbeAnswer(0, 1, 429, "busy")])));

    [Fact]
    public void Should_add_the_probes_5xx_to_wrks_when_counting_server_errors()
    {
        var run = WrkRun.Parse("o", "RESULT requests=10 seconds=1 s200=5 s409=2 s502=1 s503=2 err_connect=0 err_read=0 err_write=0 err_timeout=0\n", "o.out");

        Assert.Equal(4, OverloadChecks.ServerErrors(run, ProbeSummary.Of([new ProbeAnswer(0, 1, 503, "unavailable"), new ProbeAnswer(0, 1, 200, "reserved")])));
    }
}
