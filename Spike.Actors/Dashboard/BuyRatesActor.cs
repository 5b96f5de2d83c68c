using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Spike.Actors.Dashboard;

/// <summary>
/// Every second, publishes this node's <see cref="BuyTally"/> as <see cref="BuyRates"/> on the cluster topic;
/// records what every node (itself included) publishes there in <see cref="ClusterBuyRates"/>.
/// </summary>
public sealed class BuyRatesActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly BuyTally _tally;
    private readonly IActorRef _mediator;
    private readonly string _node;
    private readonly TimeProvider _clock;
    private long _lastDrain;

    public BuyRatesActor(BuyTally tally, ClusterBuyRates board, IActorRef mediator, string node, TimeProvider clock)
    {
        (_tally, _mediator, _node, _clock) = (tally, mediator, node, clock);
        _lastDrain = clock.GetTimestamp();
        Receive<Tick>(_ => Publish());
        Receive<BuyRates>(board.Record);
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(BuyTally tally, ClusterBuyRates board, IActorRef mediator, string node, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new BuyRatesActor(tally, board, mediator, node, clock));

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(BuyRates.Topic, Self));
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, Interval);
    }

    private void Publish()
    {
        var now = _clock.GetTimestamp();
        var rates = _tally.Drain(_node, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _clock.GetElapsedTime(_lastDrain, now));
        _lastDrain = now;
        _mediator.Tell(new Publish(BuyRates.Topic, rates));
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
