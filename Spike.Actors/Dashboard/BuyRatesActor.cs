using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace Spike.Actors.Dashboard;

/// <summary>
/// Every second this node answers buys, publishes its <see cref="BuyTally"/> as <see cref="BuyRates"/> on the cluster
/// topic, and once more when it stops; records what every node (itself included) publishes there in
/// <see cref="ClusterBuyRates"/>. A quiet node publishes nothing: every publication is a remote message to each
/// other API node, which an idle cluster would otherwise pay every second to say nothing.
/// </summary>
public sealed class BuyRatesActor : ReceiveActor, IWithTimers
{
    /// <summary>How often a node that answers buys publishes its rates: the dashboard shows the last second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly BuyTally _tally;
    private readonly IActorRef _mediator;
    private readonly string _node;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _interval;
    private long _lastDrain;
    /// <summary>The last publication said "no answers": the dashboards show zero until the node answers again.</summary>
    private bool _quietPublished;

    public BuyRatesActor(BuyTally tally, ClusterBuyRates board, IActorRef mediator, string node, TimeProvider clock, TimeSpan interval)
    {
        (_tally, _mediator, _node, _clock, _interval) = (tally, mediator, node, clock, interval);
        _lastDrain = clock.GetTimestamp();
        Receive<Tick>(_ => Publish());
        Receive<BuyRates>(board.Record);
        Receive<SubscribeAck>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="interval">How often it drains the tally: <see cref="Interval"/>, shorter in specs.</param>
    public static Props Props(BuyTally tally, ClusterBuyRates board, IActorRef mediator, string node, TimeProvider clock, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new BuyRatesActor(tally, board, mediator, node, clock, interval));

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(BuyRates.Topic, Self));
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, _interval);
    }

    private void Publish()
    {
        var now = _clock.GetTimestamp();
        var rates = _tally.Drain(_node, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _clock.GetElapsedTime(_lastDrain, now));
        _lastDrain = now;
        var quiet = rates.Outcomes.Count == 0;
        if (quiet && _quietPublished)
        {
            return;
        }
        _quietPublished = quiet;
        _mediator.Tell(new Publish(BuyRates.Topic, rates));
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
