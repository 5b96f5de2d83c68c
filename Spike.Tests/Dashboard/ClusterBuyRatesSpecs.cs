using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Tests.Support;

namespace Spike.Tests.Dashboard;

public sealed class ClusterBuyRatesSpecs
{
    private const string Busy = "akka.tcp://spike@127.0.0.1:4056";
    private const string Quiet = "akka.tcp://spike@127.0.0.1:4055";

    [Fact]
    public void Should_show_every_api_node_in_address_order_with_no_answers_when_a_node_was_not_heard()
    {
        // arrange
        var clock = new ShiftedClock();
        var rates = new ClusterBuyRates(clock);
        rates.Record(new BuyRates(Busy, 1, [new OutcomeRate(ReserveStatus.Reserved, 40)], 1.024));

        // act
        var current = rates.Current([Busy, Quiet]);

        // assert
        Assert.Equal([Quiet, Busy], current.Select(node => node.Node));
        Assert.Empty(current[0].Outcomes);
        Assert.Null(current[0].P99Ms);
        Assert.Equal(40, Assert.Single(current[1].Outcomes).PerSecond);
    }

    [Fact]
    public void Should_show_no_answers_when_a_nodes_last_rates_are_stale()
    {
        // arrange: a node that published, then was killed without a last publication
        var clock = new ShiftedClock();
        var rates = new ClusterBuyRates(clock);
        rates.Record(new BuyRates(Busy, 1, [new OutcomeRate(ReserveStatus.Reserved, 40)], 1.024));

        // act
        clock.Offset = ClusterBuyRates.Staleness + TimeSpan.FromSeconds(1);
        var current = rates.Current([Busy]);

        // assert
        Assert.Empty(Assert.Single(current).Outcomes);
    }

    [Fact]
    public void Should_leave_out_a_node_that_is_no_longer_a_member_when_it_published()
    {
        var rates = new ClusterBuyRates(new ShiftedClock());
        rates.Record(new BuyRates(Busy, 1, [new OutcomeRate(ReserveStatus.Reserved, 40)], 1.024));

        Assert.Equal([Quiet], rates.Current([Quiet]).Select(node => node.Node));
    }

    [Fact]
    public void Should_forget_a_departed_nodes_rates_when_its_address_joins_again()
    {
        // arrange: rates heard from a node, which then left the cluster
        var rates = new ClusterBuyRates(new ShiftedClock());
        rates.Record(new BuyRates(Busy, 1, [new OutcomeRate(ReserveStatus.Reserved, 40)], 1.024));
        rates.Current([Quiet]);

        // act: a new node at the same address, not heard from yet
        var current = rates.Current([Busy, Quiet]);

        // assert
        Assert.Empty(current.Single(node => node.Node == Busy).Outcomes);
    }
}
