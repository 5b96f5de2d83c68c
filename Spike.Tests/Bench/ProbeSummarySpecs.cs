using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>What the overload probe's answers come to (<see cref="ProbeSummary"/>, <see cref="OverloadProbe.BuyStatus"/>).</summary>
public sealed class ProbeSummarySpecs
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0.5, 1)]
    public void Should_take_the_nearest_rank_when_asked_for_a_percentile_of_1_to_100(double percent, double expected) =>
        Assert.Equal(expected, ProbeSummary.Percentile([.. Enumerable.Range(1, 100).Reverse().Select(i => (double)i)], percent));

    [Fact]
    public void Should_have_no_percentile_when_there_are_no_values() =>
        Assert.Null(ProbeSummary.Percentile([], 99));

    [Fact]
    public void Should_count_each_kind_and_time_only_the_admitted_when_answers_are_mixed()
    {
        var answers = new[]
        {
            new ProbeAnswer(0.00, 10, 200, "reserved"),
            new ProbeAnswer(0.04, 30, 409, "sold_out"),
            new ProbeAnswer(0.08, 20, 409, "not_enough_left"),
            new ProbeAnswer(0.12, 900, 429, "busy"),
            new ProbeAnswer(0.16, 5000, 503, "unavailable"),
            new ProbeAnswer(0.20, 10000, 0, null),
            new ProbeAnswer(0.24, 1, 400, null),
        };

        var summary = ProbeSummary.Of(answers);

        Assert.Equal(new ProbeSummary(Sent: 7, Reserved: 1, SoldOut: 1, OtherRefusals: 1, Busy: 1, ServerErrors: 1, NoAnswer: 1, Unexpected: 1,
            AdmittedP50Ms: 20, AdmittedP99Ms: 30, ReservedP99Ms: 10, SoldOutP99Ms: 30, BusyP99Ms: 900, MaxMs: 10000), summary);
    }

    [Theory]
    [InlineData("""{"status":"sold_out"}""", "sold_out")]
    [InlineData("""{"status":"reserved","orderId":"s-1"}""", "reserved")]
    [InlineData("""{"title":"bad request"}""", null)]
    [InlineData("""{"status":7}""", null)]
    [InlineData("<html>502</html>", null)]
    [InlineData("", null)]
    public void Should_read_the_status_field_or_none_when_given_an_answers_body(string body, string? expected) =>
        Assert.Equal(expected, OverloadProbe.BuyStatus(body));

    [Fact]
    public void Should_write_a_header_and_a_tab_separated_line_per_answer_when_listing_answers() =>
        Assert.Equal(["sent_at_s\tms\thttp_status\tbuy_status", "0.040\t12.346\t409\tsold_out", "0.080\t10000.000\t0\t-"],
            OverloadProbe.Lines([new ProbeAnswer(0.04, 12.3456, 409, "sold_out"), new ProbeAnswer(0.08, 10000, 0, null)]));
}
