using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.TestKit;
using Spike.Persistence.Redis;
using Spike.Tests.Fixtures;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Spike.Tests.Persistence;

/// <summary>
/// The journal through Akka's journal protocol, against a real Redis: the persistence TCK's journal cases, then what
/// the Redis layout adds (refused sequence numbers, concurrent writers, a Redis restart, rejections, tags).
/// </summary>
[Collection(RedisPersistenceCollection.Name)]
public sealed class RedisJournalSpecs(RedisServerFixture redis, ITestOutputHelper output) : RedisPersistenceTestKit(redis, output)
{
    private const int ActorInstanceId = 1;
    private const string WriterGuid = "writer-1";

    // ---- the persistence TCK's journal cases (five events, 1..5) ----

    [Fact]
    public void Should_replay_all_events_when_the_range_is_unbounded()
    {
        var pid = WriteFiveEvents();

        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.Equal([1L, 2, 3, 4, 5], replayed.Select(p => p.SequenceNr));
        Assert.Equal(5, highest);
    }

    [Fact]
    public void Should_replay_from_the_lower_bound_when_one_is_given()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 3, long.MaxValue, long.MaxValue);

        Assert.Equal([3L, 4, 5], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_up_to_the_upper_bound_when_one_is_given()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 1, 3, long.MaxValue);

        Assert.Equal([1L, 2, 3], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_at_most_the_limit_when_a_count_limit_is_given()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 1, long.MaxValue, 3);

        Assert.Equal([1L, 2, 3], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_the_range_when_lower_and_upper_bounds_are_given()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 2, 3, long.MaxValue);

        Assert.Equal([2L, 3], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_the_first_events_of_the_range_when_bounds_and_a_limit_are_given()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 2, 5, 2);

        Assert.Equal([2L, 3], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_one_event_when_lower_equals_upper()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 2, 2, long.MaxValue);

        Assert.Equal([2L], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_one_event_when_the_limit_is_one()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 2, 4, 1);

        Assert.Equal([2L], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_replay_nothing_when_the_limit_is_zero()
    {
        var pid = WriteFiveEvents();

        var (replayed, highest) = Replay(pid, 1, long.MaxValue, 0);

        Assert.Empty(replayed);
        Assert.Equal(5, highest);
    }

    [Fact]
    public void Should_replay_nothing_when_lower_is_above_upper()
    {
        var pid = WriteFiveEvents();

        var (replayed, _) = Replay(pid, 3, 2, long.MaxValue);

        Assert.Empty(replayed);
    }

    [Fact]
    public void Should_replay_nothing_and_report_highest_zero_when_the_persistence_id_is_unknown()
    {
        var (replayed, highest) = Replay(NewPersistenceId(), 1, long.MaxValue, long.MaxValue);

        Assert.Empty(replayed);
        Assert.Equal(0, highest);
    }

    [Fact]
    public void Should_not_replay_deleted_events_when_a_range_was_deleted()
    {
        var pid = WriteFiveEvents();

        DeleteTo(pid, 3);
        var (replayed, _) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.Equal([4L, 5], replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_keep_the_highest_sequence_number_when_a_range_was_deleted()
    {
        var pid = WriteFiveEvents();

        DeleteTo(pid, 3);
        var (_, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.Equal(5, highest);
    }

    [Fact]
    public void Should_keep_the_highest_sequence_number_when_every_event_was_deleted()
    {
        var pid = WriteFiveEvents();

        DeleteTo(pid, long.MaxValue);
        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.Empty(replayed);
        Assert.Equal(5, highest);
        Assert.Equal(0, Db.SortedSetLength(PersistenceKeys.Events(KeyPrefix, pid)));
    }

    [Fact]
    public void Should_replay_every_field_but_the_sender_and_timestamp_when_events_are_serialized_and_deserialized()
    {
        var pid = NewPersistenceId();
        var replyTo = CreateTestProbe();
        var original = new Persistent(
            new TestEvent("with a ref", replyTo.Ref), 1, pid, manifest: "event-v2", isDeleted: false,
            sender: TestActor, writerGuid: "writer-42");

        Write(new AtomicWrite(original));
        var (replayed, _) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        var back = Assert.Single(replayed);
        Assert.Equal(new TestEvent("with a ref", replyTo.Ref), back.Payload);
        Assert.Equal(pid, back.PersistenceId);
        Assert.Equal(1, back.SequenceNr);
        Assert.Equal("event-v2", back.Manifest);
        Assert.Equal("writer-42", back.WriterGuid);
        Assert.False(back.IsDeleted);
        Assert.Same(ActorRefs.NoSender, back.Sender);
        ((TestEvent)back.Payload).ReplyTo!.Tell("still reachable");
        replyTo.ExpectMsg("still reachable");
    }

    // ---- what the Redis layout adds ----

    [Fact]
    public void Should_stamp_the_time_stored_when_an_event_is_written()
    {
        var pid = NewPersistenceId();
        var before = DateTime.UtcNow.Ticks;

        Write(Atomic(pid, 1, 1));
        var (replayed, _) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.InRange(Assert.Single(replayed).Timestamp, before, DateTime.UtcNow.Ticks);
    }

    [Fact]
    public void Should_refuse_a_retried_atomic_write_and_store_each_event_once_when_it_is_sent_again()
    {
        var pid = NewPersistenceId();
        var write = Atomic(pid, 1, 3);
        Write(write);

        Journal.Tell(new WriteMessages([write], Writer.Ref, ActorInstanceId));

        var failed = Writer.ExpectMsg<WriteMessagesFailed>();
        var conflict = Assert.IsType<SequenceNumberConflictException>(failed.Cause);
        Assert.Equal(3, conflict.StoredHighestSequenceNr);
        Assert.Equal(3, Enumerable.Range(0, 3).Select(_ => Writer.ExpectMsg<WriteMessageFailure>()).Count());
        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal([1L, 2, 3], replayed.Select(p => p.SequenceNr));
        Assert.Equal(3, highest);
        Assert.Equal(3, Db.SortedSetLength(PersistenceKeys.Events(KeyPrefix, pid)));
    }

    [Fact]
    public void Should_store_nothing_of_an_atomic_write_when_its_lowest_sequence_number_is_taken()
    {
        var pid = NewPersistenceId();
        Write(Atomic(pid, 1, 3));

        Journal.Tell(new WriteMessages([Atomic(pid, 3, 5, text: "overlap")], Writer.Ref, ActorInstanceId));

        Writer.ExpectMsg<WriteMessagesFailed>();
        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal([1L, 2, 3], replayed.Select(p => p.SequenceNr));
        Assert.DoesNotContain(replayed, p => ((TestEvent)p.Payload).Text.StartsWith("overlap", StringComparison.Ordinal));
        Assert.Equal(3, highest);
    }

    [Fact]
    public void Should_let_exactly_one_writer_win_each_sequence_number_when_two_journals_write_one_id_concurrently()
    {
        const int SequenceNumbers = 50;
        var pid = NewPersistenceId();
        var first = CreateWriterJournal("akka.persistence.journal.redis-writer-a");
        var second = CreateWriterJournal("akka.persistence.journal.redis-writer-b");
        var writerA = CreateTestProbe();
        var writerB = CreateTestProbe();

        for (var seq = 1L; seq <= SequenceNumbers; seq++)
        {
            first.Tell(new WriteMessages([Atomic(pid, seq, seq, text: "A")], writerA.Ref, ActorInstanceId));
            second.Tell(new WriteMessages([Atomic(pid, seq, seq, text: "B")], writerB.Ref, ActorInstanceId));
        }

        var wonByA = SequenceNumbersWon(writerA, SequenceNumbers);
        var wonByB = SequenceNumbersWon(writerB, SequenceNumbers);
        Assert.Empty(wonByA.Intersect(wonByB));
        Assert.Equal(Enumerable.Range(1, SequenceNumbers).Select(n => (long)n), wonByA.Union(wonByB).Order());
        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal(SequenceNumbers, highest);
        Assert.Equal(Enumerable.Range(1, SequenceNumbers).Select(n => (long)n), replayed.Select(p => p.SequenceNr));
        Assert.All(replayed, p => Assert.Equal(
            wonByA.Contains(p.SequenceNr) ? $"A-{p.SequenceNr}" : $"B-{p.SequenceNr}", ((TestEvent)p.Payload).Text));
    }

    [Fact]
    public void Should_reject_only_the_write_that_does_not_serialize_when_a_call_holds_several()
    {
        var pid = NewPersistenceId();
        var poisoned = new AtomicWrite(new Persistent(new UnserializableEvent("bad"), 2, pid, writerGuid: WriterGuid));

        Journal.Tell(new WriteMessages([Atomic(pid, 1, 1), poisoned, Atomic(pid, 3, 3)], Writer.Ref, ActorInstanceId));

        Writer.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(1, Writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        var rejected = Writer.ExpectMsg<WriteMessageRejected>();
        Assert.Equal(2, rejected.Persistent.SequenceNr);
        Assert.Contains("refuses to be serialized", rejected.Cause.Message, StringComparison.Ordinal);
        Assert.Equal(3, Writer.ExpectMsg<WriteMessageSuccess>().Persistent.SequenceNr);
        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal([1L, 3], replayed.Select(p => p.SequenceNr));
        Assert.Equal(3, highest);
    }

    [Fact]
    public async Task Should_fail_the_write_call_when_redis_is_down()
    {
        var pid = NewPersistenceId();
        Write(Atomic(pid, 1, 1));

        await WhileRedisIsDownAsync(() =>
        {
            Journal.Tell(new WriteMessages([Atomic(pid, 2, 2)], Writer.Ref, ActorInstanceId));
            var failed = Writer.ExpectMsg<WriteMessagesFailed>(TimeSpan.FromSeconds(10));
            Assert.True(failed.Cause is RedisException or TimeoutException, $"not a Redis failure: {failed.Cause}");
            Writer.ExpectMsg<WriteMessageFailure>();
            return Task.CompletedTask;
        });

        AwaitJournalAnswers(pid);
        Assert.Equal([1L], Replay(pid, 1, long.MaxValue, long.MaxValue).Replayed.Select(p => p.SequenceNr));
    }

    [Fact]
    public async Task Should_continue_the_sequence_when_redis_restarted_between_writes()
    {
        var pid = NewPersistenceId();
        Write(Atomic(pid, 1, 3));

        await Redis.StopAsync();
        await Redis.StartAsync();
        AwaitJournalAnswers(pid);
        Write(Atomic(pid, 4, 5));

        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);
        Assert.Equal([1L, 2, 3, 4, 5], replayed.Select(p => p.SequenceNr));
        Assert.Equal(5, highest);
    }

    [Fact]
    public void Should_store_the_tags_and_replay_the_bare_payload_when_an_event_is_tagged()
    {
        var pid = NewPersistenceId();
        var tagged = new Tagged(new TestEvent("tagged"), ["sale:1", "reserved"]);

        Write(new AtomicWrite(new Persistent(tagged, 1, pid, writerGuid: WriterGuid)));

        var back = Assert.Single(Replay(pid, 1, long.MaxValue, long.MaxValue).Replayed);
        Assert.Equal(new TestEvent("tagged"), back.Payload);
        var frame = (byte[])Db.SortedSetRangeByRank(PersistenceKeys.Events(KeyPrefix, pid)).Single()!;
        Assert.Equal(["reserved", "sale:1"], EventFrame.Decode(frame).Tags.Order());
    }

    [Fact]
    public void Should_replay_every_event_in_order_when_the_history_spans_several_pages()
    {
        var pid = NewPersistenceId();
        Write(Atomic(pid, 1, 2_500));

        var (replayed, highest) = Replay(pid, 1, long.MaxValue, long.MaxValue);

        Assert.Equal(Enumerable.Range(1, 2_500).Select(n => (long)n), replayed.Select(p => p.SequenceNr));
        Assert.Equal(2_500, highest);
        var (limited, _) = Replay(pid, 999, long.MaxValue, 1_002);
        Assert.Equal(Enumerable.Range(999, 1_002).Select(n => (long)n), limited.Select(p => p.SequenceNr));
    }

    [Fact]
    public void Should_keep_every_key_of_a_persistence_id_in_one_cluster_slot_when_the_id_has_braces()
    {
        foreach (var pid in new[] { "order-1", "a{b}c", "{x}", "x}y{z" })
        {
            var slots = new[]
            {
                PersistenceKeys.Events(KeyPrefix, pid), PersistenceKeys.HighestSequenceNr(KeyPrefix, pid),
                PersistenceKeys.Snapshots(KeyPrefix, pid),
            }.Select(key => Redis.Connection.HashSlot(key)).Distinct();

            Assert.Single(slots);
        }
    }

    [Fact]
    public void Should_write_under_the_prefix_and_the_hash_tag_when_events_are_stored()
    {
        var pid = NewPersistenceId();

        Write(Atomic(pid, 1, 2));

        Assert.Equal(2, Db.SortedSetLength($"{KeyPrefix}journal:{{{pid}}}:events"));
        Assert.Equal(2, (long)Db.StringGet($"{KeyPrefix}journal:{{{pid}}}:highest"));
    }

    // ---- helpers ----

    private TestProbe Writer => _writerProbe ??= CreateTestProbe();
    private TestProbe? _writerProbe;

    private static AtomicWrite Atomic(string pid, long from, long to, string text = "event") =>
        new(Enumerable.Range(0, (int)(to - from + 1))
            .Select(i => (IPersistentRepresentation)new Persistent(new TestEvent($"{text}-{from + i}"), from + i, pid, writerGuid: WriterGuid))
            .ToImmutableList());

    private string WriteFiveEvents()
    {
        var pid = NewPersistenceId();
        Write(Atomic(pid, 1, 5));
        return pid;
    }

    /// <summary>Writes and expects every event to be acknowledged.</summary>
    private void Write(params AtomicWrite[] writes)
    {
        Journal.Tell(new WriteMessages(writes, Writer.Ref, ActorInstanceId));
        Writer.ExpectMsg<WriteMessagesSuccessful>();
        var events = writes.Sum(w => ((IImmutableList<IPersistentRepresentation>)w.Payload).Count);
        for (var i = 0; i < events; i++)
        {
            Writer.ExpectMsg<WriteMessageSuccess>();
        }
    }

    private (IReadOnlyList<IPersistentRepresentation> Replayed, long Highest) Replay(string pid, long from, long to, long max)
    {
        var replayer = CreateTestProbe();
        Journal.Tell(new ReplayMessages(from, to, max, pid, replayer.Ref));
        var replayed = new List<IPersistentRepresentation>();
        while (true)
        {
            switch (replayer.ReceiveOne(TimeSpan.FromSeconds(10)))
            {
                case ReplayedMessage message:
                    replayed.Add(message.Persistent);
                    break;
                case RecoverySuccess success:
                    return (replayed, success.HighestSequenceNr);
                case var other:
                    throw new InvalidOperationException($"Unexpected answer to a replay: {other ?? "nothing within 10 s"}");
            }
        }
    }

    private void DeleteTo(string pid, long toSequenceNr)
    {
        var deleter = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(pid, toSequenceNr, deleter.Ref));
        deleter.ExpectMsg<DeleteMessagesSuccess>();
    }

    /// <summary>Waits until the journal's own connection answers again after Redis came back.</summary>
    private void AwaitJournalAnswers(string pid)
    {
        AwaitAssert(() =>
        {
            var probe = CreateTestProbe();
            Journal.Tell(new ReplayMessages(1, 0, 0, pid, probe.Ref));
            probe.ExpectMsg<RecoverySuccess>(TimeSpan.FromSeconds(3));
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// Another journal actor on the same Redis and prefix: a writer of its own, as after a split brain. Its circuit
    /// breaker tolerates the refusals: an actor stops at its first refusal, but these writers go on writing.
    /// </summary>
    private IActorRef CreateWriterJournal(string pluginId)
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString($$"""
            {{pluginId}} {
              class = "{{typeof(RedisJournal).AssemblyQualifiedName}}"
              configuration-string = "{{ConfigurationString(Redis)}}"
              key-prefix = "{{KeyPrefix}}"
              circuit-breaker.max-failures = 1000
            }
            """);
        Sys.Settings.InjectTopLevelFallback(config);
        return Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(pluginId);
    }

    /// <summary>The sequence numbers a writer was told it wrote, out of its <paramref name="writes"/> single-event writes.</summary>
    private static HashSet<long> SequenceNumbersWon(TestProbe writer, int writes)
    {
        var won = new HashSet<long>();
        var answered = 0;
        while (answered < writes)
        {
            switch (writer.ReceiveOne(TimeSpan.FromSeconds(10)))
            {
                case WriteMessageSuccess success:
                    won.Add(success.Persistent.SequenceNr);
                    answered++;
                    break;
                case WriteMessageFailure failure:
                    Assert.IsType<SequenceNumberConflictException>(failure.Cause);
                    answered++;
                    break;
                case WriteMessagesSuccessful or WriteMessagesFailed:
                    break;
                case var other:
                    throw new InvalidOperationException($"Unexpected answer to a write: {other ?? "nothing within 10 s"}");
            }
        }

        return won;
    }
}
