using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>Which buys the bench retries after a run (<see cref="Replays"/>), from the lines the wrk scripts print.</summary>
public sealed class ReplaysSpecs
{
    [Fact]
    public void Should_retry_each_pending_buy_with_its_user_and_requestId_when_a_buy_track_run_left_some()
    {
        var pending = Replays.Pending(BenchSamples.Text(BenchSamples.BuyTrack), "c1795666904-n");

        Assert.Equal(100, pending.Count);
        Assert.Equal(new Replay("c1795666904-n-1-10388", "rc1795666904-n-1-10388"), pending[0]);
        Assert.Contains(new Replay("c1795666904-n-2-10602", "rc1795666904-n-2-10602"), pending);
    }

    [Fact]
    public void Should_retry_nothing_when_the_run_printed_no_pending_lines() =>
        Assert.Empty(Replays.Pending(BenchSamples.Text(BenchSamples.Ping), "b1-a"));

    [Fact]
    public void Should_retry_each_buy_answered_429_or_503_with_the_user_its_requestId_names_when_the_sellout_printed_retry_lines()
    {
        const string output = "UPSTREAM 127.0.0.1:3301 10 5\nRETRY rc1-s-1-17\nRETRY rc1-s-2-4\nRESULT sent=10 answered=10 retry=2\n";

        var retries = Replays.Retries(output);

        Assert.Equal([new Replay("c1-s-1-17", "rc1-s-1-17"), new Replay("c1-s-2-4", "rc1-s-2-4")], retries);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(409, true)]
    [InlineData(404, true)]
    [InlineData(400, true)]
    [InlineData(429, false)]
    [InlineData(503, false)]
    [InlineData(0, false)]
    public void Should_retry_again_only_when_the_answer_is_not_final(int status, bool final) =>
        Assert.Equal(final, Replays.IsFinal(status));
}
