using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Xunit.Abstractions;

namespace Spike.Tests.Dashboard;

public sealed class BuyRatesActorSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Several intervals: a publication due in them would have come.</summary>
    private static readonly TimeSpan Silence = 4 * Interval;

    [Fact]
    public void Should_publish_once_then_stay_silent_when_the_node_answers_no_buys()
    {
        // arrange
        var (mediator, _) = Start();

        // act: a quiet node's first interval
        var first = NextRates(mediator);

        // assert: one publication saying "no answers", then nothing however long it stays quiet
        Assert.Empty(first.Outcomes);
        mediator.ExpectNoMsg(Silence);
    }

    [Fact]
    public void Should_publish_while_the_node_answers_and_once_more_when_it_stops()
    {
        // arrange: a node gone quiet
        var (mediator, tally) = Start();
        Assert.Empty(NextRates(mediator).Outcomes);

        // act: a buy answered
        tally.Count(ReserveStatus.Reserved, TimeSpan.FromMilliseconds(2));

        // assert: its rate, then zero, then silence
        Assert.Equal(ReserveStatus.Reserved, Assert.Single(NextRates(mediator).Outcomes).Status);
        Assert.Empty(NextRates(mediator).Outcomes);
        mediator.ExpectNoMsg(Silence);
    }

    private (Akka.TestKit.TestProbe Mediator, BuyTally Tally) Start()
    {
        var mediator = CreateTestProbe();
        var tally = new BuyTally();
        Sys.ActorOf(BuyRatesActor.Props(tally, new ClusterBuyRates(TimeProvider.System), mediator, "akka.tcp://spike@127.0.0.1:4055", TimeProvider.System, Interval));
        mediator.ExpectMsg<Subscribe>(subscribe => subscribe.Topic == BuyRates.Topic);
        return (mediator, tally);
    }

    private static BuyRates NextRates(Akka.TestKit.TestProbe mediator) =>
        Assert.IsType<BuyRates>(mediator.ExpectMsg<Publish>(publish => publish.Topic == BuyRates.Topic, TimeSpan.FromSeconds(3)).Message);
}
