using Akka.Actor;
using Akka.Persistence;
using Akka.TestKit;
using Spike.Tests.Fixtures;
using Xunit.Abstractions;

namespace Spike.Tests.Persistence;

/// <summary>Real persistent actors on the Redis journal and snapshot store: what an actor sees across incarnations.</summary>
[Collection(RedisPersistenceCollection.Name)]
public sealed class RedisPersistentActorSpecs(RedisServerFixture redis, ITestOutputHelper output) : RedisPersistenceTestKit(redis, output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void Should_recover_all_10000_events_in_order_when_a_new_incarnation_starts()
    {
        const int Batches = 10;
        const int BatchSize = 1_000;
        var pid = NewPersistenceId();
        var reporter = CreateTestProbe();
        var first = Start(pid, reporter);
        for (var batch = 0; batch < Batches; batch++)
        {
            first.Tell(new RecordingActor.PersistBatch(batch * BatchSize + 1, BatchSize), reporter);
            reporter.ExpectMsg<RecordingActor.Persisted>(Patience);
        }

        StopAndWait(first);
        var state = StateOf(Start(pid, reporter));

        Assert.Equal(Batches * BatchSize, state.LastSequenceNr);
        Assert.Equal(Enumerable.Range(1, Batches * BatchSize).Select(n => $"e{n}"), state.Texts);
        Assert.Equal(Batches * BatchSize, state.EventsReplayed);
    }

    [Fact]
    public void Should_reject_only_the_event_that_does_not_serialize_and_go_on_when_one_in_the_middle_fails()
    {
        var pid = NewPersistenceId();
        var reporter = CreateTestProbe();
        var actor = Start(pid, reporter);

        PersistEach(actor, new TestEvent("a"), new UnserializableEvent("bad"), new TestEvent("b"));

        Assert.Equal(1, reporter.ExpectMsg<RecordingActor.Persisted>().SequenceNr);
        Assert.Equal(2, reporter.ExpectMsg<RecordingActor.Rejected>().SequenceNr);
        Assert.Equal(3, reporter.ExpectMsg<RecordingActor.Persisted>().SequenceNr);
        PersistEach(actor, new TestEvent("c"));
        Assert.Equal(4, reporter.ExpectMsg<RecordingActor.Persisted>().SequenceNr);
        Assert.Equal(["a", "b", "c"], StateOf(actor).Texts);
        StopAndWait(actor);
        var recovered = StateOf(Start(pid, reporter));
        Assert.Equal(["a", "b", "c"], recovered.Texts);
        Assert.Equal(4, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task Should_stop_the_actor_and_lose_nothing_stored_when_redis_is_down_during_a_persist()
    {
        var pid = NewPersistenceId();
        var reporter = CreateTestProbe();
        var actor = Start(pid, reporter);
        PersistEach(actor, new TestEvent("a"));
        reporter.ExpectMsg<RecordingActor.Persisted>();
        Watch(actor);

        await WhileRedisIsDownAsync(() =>
        {
            PersistEach(actor, new TestEvent("b"));
            Assert.Equal(2, reporter.ExpectMsg<RecordingActor.Failed>(Patience).SequenceNr);
            ExpectTerminated(actor, Patience);
            return Task.CompletedTask;
        });

        AwaitAssert(() => Assert.Equal(["a"], StateOf(Start(pid, CreateTestProbe())).Texts), Patience, TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_recover_from_the_latest_snapshot_and_the_events_after_it_when_a_snapshot_was_taken()
    {
        var pid = NewPersistenceId();
        var reporter = CreateTestProbe();
        var actor = Start(pid, reporter);
        PersistEach(actor, new TestEvent("a"), new TestEvent("b"), new TestEvent("c"));
        reporter.ReceiveN(3);
        actor.Tell(new RecordingActor.TakeSnapshot());
        Assert.Equal(3, reporter.ExpectMsg<RecordingActor.SnapshotSaved>().SequenceNr);
        PersistEach(actor, new TestEvent("d"), new TestEvent("e"));
        reporter.ReceiveN(2);

        StopAndWait(actor);
        var recovered = StateOf(Start(pid, reporter));

        Assert.Equal(["a", "b", "c", "d", "e"], recovered.Texts);
        Assert.Equal(3, recovered.RecoveredFromSnapshotAt);
        Assert.Equal(2, recovered.EventsReplayed);
        Assert.Equal(5, recovered.LastSequenceNr);
    }

    /// <summary>One command per event: each event is its own write.</summary>
    private static void PersistEach(IActorRef actor, params object[] events)
    {
        foreach (var @event in events)
        {
            actor.Tell(new RecordingActor.PersistOne(@event));
        }
    }

    private IActorRef Start(string pid, TestProbe reporter) => Sys.ActorOf(Props.Create(() => new RecordingActor(pid, reporter.Ref)));

    private void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);
    }

    private RecordingActor.State StateOf(IActorRef actor)
    {
        var asker = CreateTestProbe();
        actor.Tell(new RecordingActor.GetState(), asker.Ref);
        return asker.ExpectMsg<RecordingActor.State>(Patience);
    }
}

/// <summary>A persistent actor whose state is the texts of its events; it tells its reporter what happened to each write.</summary>
public sealed class RecordingActor : ReceivePersistentActor
{
    public sealed record PersistOne(object Event);

    /// <summary>Persists events <c>e&lt;from&gt;</c>.. as one <c>PersistAll</c>; reports the last.</summary>
    public sealed record PersistBatch(int From, int Count);

    public sealed record TakeSnapshot;

    public sealed record GetState;

    public sealed record State(IReadOnlyList<string> Texts, long LastSequenceNr, long? RecoveredFromSnapshotAt, int EventsReplayed);

    public sealed record Persisted(long SequenceNr);

    public sealed record Rejected(long SequenceNr);

    public sealed record Failed(long SequenceNr);

    public sealed record SnapshotSaved(long SequenceNr);

    private readonly IActorRef _reporter;
    private readonly List<string> _texts = [];
    private long? _recoveredFromSnapshotAt;
    private int _eventsReplayed;

    public RecordingActor(string persistenceId, IActorRef reporter)
    {
        PersistenceId = persistenceId;
        _reporter = reporter;

        Recover<SnapshotOffer>(offer =>
        {
            _recoveredFromSnapshotAt = offer.Metadata.SequenceNr;
            _texts.AddRange(((string)offer.Snapshot).Split('\n'));
        });
        Recover<TestEvent>(e =>
        {
            _texts.Add(e.Text);
            _eventsReplayed++;
        });

        Command<PersistOne>(command => Persist(command.Event, persisted =>
        {
            _texts.Add(((TestEvent)persisted).Text);
            _reporter.Tell(new Persisted(LastSequenceNr));
        }));
        Command<PersistBatch>(command =>
        {
            var events = Enumerable.Range(command.From, command.Count).Select(n => new TestEvent($"e{n}")).ToList();
            PersistAll(events, persisted =>
            {
                _texts.Add(persisted.Text);
                if (ReferenceEquals(persisted, events[^1]))
                {
                    _reporter.Tell(new Persisted(LastSequenceNr));
                }
            });
        });
        Command<TakeSnapshot>(_ => SaveSnapshot(string.Join('\n', _texts)));
        Command<SaveSnapshotSuccess>(success => _reporter.Tell(new SnapshotSaved(success.Metadata.SequenceNr)));
        Command<GetState>(_ => Sender.Tell(new State(_texts.ToList(), LastSequenceNr, _recoveredFromSnapshotAt, _eventsReplayed)));
    }

    public override string PersistenceId { get; }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _reporter.Tell(new Rejected(sequenceNr));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _reporter.Tell(new Failed(sequenceNr));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }
}
