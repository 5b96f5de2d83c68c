using Akka.Persistence;
using Akka.TestKit;
using Spike.Persistence.Redis;
using Spike.Tests.Fixtures;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Spike.Tests.Persistence;

/// <summary>
/// The snapshot store through Akka's snapshot protocol, against a real Redis: the persistence TCK's snapshot cases.
/// Each test starts from five snapshots at sequence numbers 10, 20, 30, 40, 50, saved in that order.
/// </summary>
[Collection(RedisPersistenceCollection.Name)]
public sealed class RedisSnapshotStoreSpecs : RedisPersistenceTestKit
{
    private readonly string _pid = NewPersistenceId();
    private readonly TestProbe _client;
    private readonly Dictionary<long, SnapshotMetadata> _saved;

    public RedisSnapshotStoreSpecs(RedisServerFixture redis, ITestOutputHelper output) : base(redis, output)
    {
        _client = CreateTestProbe();
        _saved = new[] { 10L, 20, 30, 40, 50 }.ToDictionary(seq => seq, seq => Save(seq, $"state-{seq}"));
    }

    [Fact]
    public void Should_save_snapshots_with_increasing_timestamps_when_saved_one_after_another()
    {
        var timestamps = _saved.OrderBy(s => s.Key).Select(s => s.Value.Timestamp).ToList();

        Assert.Equal(timestamps.Order(), timestamps);
        Assert.Equal(5, timestamps.Distinct().Count());
        Assert.Equal(5, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_load_nothing_when_the_persistence_id_is_unknown()
    {
        var loaded = Load(NewPersistenceId(), SnapshotSelectionCriteria.Latest);

        Assert.Null(loaded);
    }

    [Fact]
    public void Should_load_nothing_when_no_snapshot_is_old_enough_for_the_timestamp_bound()
    {
        var loaded = Load(_pid, new SnapshotSelectionCriteria(long.MaxValue, _saved[10].Timestamp.AddTicks(-1)));

        Assert.Null(loaded);
    }

    [Fact]
    public void Should_load_nothing_when_no_sequence_number_matches()
    {
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(9)));
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, minSequenceNr: 51)));
        Assert.Null(Load(_pid, SnapshotSelectionCriteria.Latest, toSequenceNr: 9));
    }

    [Fact]
    public void Should_load_the_most_recent_snapshot_when_every_snapshot_matches()
    {
        var loaded = Load(_pid, SnapshotSelectionCriteria.Latest);

        AssertSnapshot(loaded, 50);
    }

    [Fact]
    public void Should_load_the_most_recent_snapshot_below_the_bound_when_a_sequence_bound_is_given()
    {
        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(35)), 30);
        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(40)), 40);
        AssertSnapshot(Load(_pid, SnapshotSelectionCriteria.Latest, toSequenceNr: 25), 20);
    }

    [Fact]
    public void Should_load_the_most_recent_snapshot_within_both_bounds_when_sequence_and_timestamp_bounds_are_given()
    {
        var loaded = Load(_pid, new SnapshotSelectionCriteria(45, _saved[20].Timestamp));

        AssertSnapshot(loaded, 20);
    }

    [Fact]
    public void Should_load_the_most_recent_snapshot_above_the_lower_bounds_when_minimums_are_given()
    {
        var loaded = Load(_pid, new SnapshotSelectionCriteria(45, DateTime.MaxValue, minSequenceNr: 21, minTimestamp: _saved[30].Timestamp));

        AssertSnapshot(loaded, 40);
        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(25, DateTime.MaxValue, minSequenceNr: 0, minTimestamp: _saved[30].Timestamp)));
    }

    [Fact]
    public void Should_delete_a_single_snapshot_when_its_metadata_is_given()
    {
        _client.Send(SnapshotStore, new DeleteSnapshot(_saved[30]));
        _client.ExpectMsg<DeleteSnapshotSuccess>();

        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(35)), 20);
        AssertSnapshot(Load(_pid, SnapshotSelectionCriteria.Latest), 50);
        Assert.Equal(4, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_delete_a_single_snapshot_when_its_metadata_has_no_timestamp()
    {
        _client.Send(SnapshotStore, new DeleteSnapshot(new SnapshotMetadata(_pid, 30, DateTime.MinValue)));
        _client.ExpectMsg<DeleteSnapshotSuccess>();

        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(35)), 20);
        Assert.Equal(4, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_not_delete_the_snapshot_when_the_metadata_timestamp_is_older_than_it()
    {
        var stale = new SnapshotMetadata(_pid, 30, _saved[30].Timestamp.AddTicks(-1));

        _client.Send(SnapshotStore, new DeleteSnapshot(stale));
        _client.ExpectMsg<DeleteSnapshotSuccess>();

        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(35)), 30);
        Assert.Equal(5, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_delete_every_matching_snapshot_when_criteria_are_given()
    {
        var criteria = new SnapshotSelectionCriteria(30);

        _client.Send(SnapshotStore, new DeleteSnapshots(_pid, criteria));
        _client.ExpectMsg<DeleteSnapshotsSuccess>();

        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(35)));
        AssertSnapshot(Load(_pid, SnapshotSelectionCriteria.Latest), 50);
        Assert.Equal(2, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_delete_only_the_snapshots_within_the_timestamp_bound_when_criteria_bound_the_timestamp()
    {
        var criteria = new SnapshotSelectionCriteria(long.MaxValue, _saved[20].Timestamp);

        _client.Send(SnapshotStore, new DeleteSnapshots(_pid, criteria));
        _client.ExpectMsg<DeleteSnapshotsSuccess>();

        Assert.Null(Load(_pid, new SnapshotSelectionCriteria(25)));
        AssertSnapshot(Load(_pid, new SnapshotSelectionCriteria(35)), 30);
        Assert.Equal(3, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_delete_nothing_when_no_snapshot_matches_the_criteria()
    {
        _client.Send(SnapshotStore, new DeleteSnapshots(_pid, new SnapshotSelectionCriteria(9)));
        _client.ExpectMsg<DeleteSnapshotsSuccess>();
        _client.Send(SnapshotStore, new DeleteSnapshots(_pid, new SnapshotSelectionCriteria(long.MaxValue, _saved[10].Timestamp.AddTicks(-1))));
        _client.ExpectMsg<DeleteSnapshotsSuccess>();

        AssertSnapshot(Load(_pid, SnapshotSelectionCriteria.Latest), 50);
        Assert.Equal(5, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_replace_the_snapshot_when_one_is_saved_again_at_the_same_sequence_number()
    {
        var second = Save(30, "state-30-again");

        var loaded = Load(_pid, new SnapshotSelectionCriteria(35));

        Assert.NotNull(loaded);
        Assert.Equal("state-30-again", loaded.Snapshot);
        Assert.Equal(second.Timestamp, loaded.Metadata.Timestamp);
        Assert.Equal(5, Db.SortedSetLength(PersistenceKeys.Snapshots(KeyPrefix, _pid)));
    }

    [Fact]
    public void Should_leave_a_newer_snapshot_at_the_same_number_when_a_delete_holds_the_replaced_ones_metadata()
    {
        var replaced = _saved[30];
        Save(30, "state-30-again");

        _client.Send(SnapshotStore, new DeleteSnapshot(replaced));
        _client.ExpectMsg<DeleteSnapshotSuccess>();

        Assert.Equal("state-30-again", Load(_pid, new SnapshotSelectionCriteria(35))?.Snapshot);
    }

    [Fact]
    public void Should_load_a_large_snapshot_intact_when_it_is_10_kB()
    {
        var pid = NewPersistenceId();
        var blob = new byte[10 * 1024];
        new Random(42).NextBytes(blob);

        _client.Send(SnapshotStore, new SaveSnapshot(new SnapshotMetadata(pid, 7, DateTime.UtcNow), blob));
        _client.ExpectMsg<SaveSnapshotSuccess>();
        var loaded = Load(pid, SnapshotSelectionCriteria.Latest);

        Assert.NotNull(loaded);
        Assert.Equal(blob, Assert.IsType<byte[]>(loaded.Snapshot));
        Assert.Equal(7, loaded.Metadata.SequenceNr);
    }

    [Fact]
    public void Should_round_trip_a_snapshot_through_a_string_manifest_serializer_when_one_is_bound()
    {
        var pid = NewPersistenceId();

        _client.Send(SnapshotStore, new SaveSnapshot(new SnapshotMetadata(pid, 3, DateTime.UtcNow), new TestEvent("as snapshot", _client.Ref)));
        _client.ExpectMsg<SaveSnapshotSuccess>();

        Assert.Equal(new TestEvent("as snapshot", _client.Ref), Load(pid, SnapshotSelectionCriteria.Latest)?.Snapshot);
    }

    [Fact]
    public void Should_fail_the_save_when_the_snapshot_does_not_serialize()
    {
        var pid = NewPersistenceId();

        _client.Send(SnapshotStore, new SaveSnapshot(new SnapshotMetadata(pid, 3, DateTime.UtcNow), new UnserializableEvent("no")));

        _client.ExpectMsg<SaveSnapshotFailure>();
        Assert.Null(Load(pid, SnapshotSelectionCriteria.Latest));
    }

    // ---- helpers ----

    private SnapshotMetadata Save(long sequenceNr, object snapshot)
    {
        _client.Send(SnapshotStore, new SaveSnapshot(new SnapshotMetadata(_pid, sequenceNr, DateTime.UtcNow), snapshot));
        return _client.ExpectMsg<SaveSnapshotSuccess>().Metadata;
    }

    private SelectedSnapshot? Load(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr = long.MaxValue)
    {
        _client.Send(SnapshotStore, new LoadSnapshot(pid, criteria, toSequenceNr));
        return _client.ExpectMsg<LoadSnapshotResult>().Snapshot;
    }

    private void AssertSnapshot(SelectedSnapshot? loaded, long sequenceNr)
    {
        Assert.NotNull(loaded);
        Assert.Equal(_pid, loaded.Metadata.PersistenceId);
        Assert.Equal(sequenceNr, loaded.Metadata.SequenceNr);
        Assert.Equal(_saved[sequenceNr].Timestamp, loaded.Metadata.Timestamp);
        Assert.Equal($"state-{sequenceNr}", loaded.Snapshot);
    }
}
