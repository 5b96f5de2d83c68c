using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;

namespace Spike.Tests.Dashboard;

public sealed class BuyTallySpecs
{
    [Fact]
    public void Should_report_rates_by_outcome_and_the_p99_bucket_when_drained()
    {
        var tally = new BuyTally();
        for (var i = 0; i < 99; i++)
        {
            tally.Count(ReserveStatus.Reserved, TimeSpan.FromMicroseconds(300)); // bucket [256, 512) µs
        }
        tally.Count(ReserveStatus.SoldOut, TimeSpan.FromMilliseconds(40)); // the slowest 1 %

        var rates = tally.Drain("node", 1_764_000_000_000, TimeSpan.FromSeconds(2));

        Assert.Equal([new OutcomeRate(ReserveStatus.Reserved, 49.5), new OutcomeRate(ReserveStatus.SoldOut, 0.5)], rates.Outcomes);
        Assert.Equal(0.512, rates.P99Ms);
    }

    [Fact]
    public void Should_start_from_zero_when_drained_again()
    {
        var tally = new BuyTally();
        tally.Count(ReserveStatus.Busy, TimeSpan.FromSeconds(30));
        Assert.Equal(Math.Pow(2, 25) / 1000, tally.Drain("node", 0, TimeSpan.FromSeconds(1)).P99Ms);

        var again = tally.Drain("node", 0, TimeSpan.FromSeconds(1));

        Assert.Empty(again.Outcomes);
        Assert.Null(again.P99Ms);
    }
}
