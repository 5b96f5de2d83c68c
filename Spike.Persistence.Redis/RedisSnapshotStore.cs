using System.Diagnostics.CodeAnalysis;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using StackExchange.Redis;

namespace Spike.Persistence.Redis;

/// <summary>
/// An Akka.Persistence snapshot store on Redis (plugin id <see cref="RedisPersistence.SnapshotStorePluginId"/>; layout
/// in <see cref="PersistenceKeys"/>): one sorted set per persistence id, scored by sequence number, at most one
/// snapshot per sequence number (a save at the same number replaces it).
/// </summary>
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable",
    Justification = "An actor is not disposed by its owner: Akka ends its life, and PostStop disposes the connection.")]
public sealed class RedisSnapshotStore : SnapshotStore
{
    private readonly RedisPluginSettings _settings;
    private readonly RedisPluginConnection _connection;
    private readonly PayloadSerializer _serializer;

    public RedisSnapshotStore(Config config)
    {
        _settings = RedisPluginSettings.From(config, RedisPersistence.DefaultSnapshotStoreConfig());
        _connection = new RedisPluginConnection(_settings);
        _serializer = new PayloadSerializer((ExtendedActorSystem)Context.System);
    }

    protected override async Task<SelectedSnapshot?> LoadAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        var key = PersistenceKeys.Snapshots(_settings.KeyPrefix, persistenceId);
        var below = criteria.MaxSequenceNr;
        // newest first, one at a time: the newest usually matches, and a snapshot can be large
        while (below >= criteria.MinSequenceNr)
        {
            var newest = await database.SortedSetRangeByScoreAsync(
                    key, criteria.MinSequenceNr, below, Exclude.None, Order.Descending, 0, 1)
                .WaitAsync(cancellationToken);
            if (newest.Length == 0)
            {
                return null;
            }

            var stored = SnapshotFrame.Decode((byte[])newest[0]!);
            if (Matches(criteria, stored))
            {
                return new SelectedSnapshot(
                    new SnapshotMetadata(persistenceId, stored.SequenceNr, stored.Timestamp),
                    _serializer.Deserialize(stored.Payload));
            }

            below = stored.SequenceNr - 1;
        }

        return null;
    }

    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var frame = SnapshotFrame.Encode(new StoredSnapshot(metadata.SequenceNr, metadata.Timestamp, _serializer.Serialize(snapshot)));
        var database = _connection.Database;
        await database.ScriptEvaluateAsync(
                PersistenceScripts.SaveSnapshot,
                [PersistenceKeys.Snapshots(_settings.KeyPrefix, metadata.PersistenceId)],
                [metadata.SequenceNr, frame])
            .WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes the snapshot at the metadata's sequence number; with a timestamp, only if it was saved at or before it
    /// (a delete that holds stale metadata leaves a newer snapshot at the same number alone).
    /// </summary>
    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        var latest = metadata.Timestamp == DateTime.MinValue ? DateTime.MaxValue : metadata.Timestamp;
        await DeleteMatchingAsync(
            metadata.PersistenceId,
            new SnapshotSelectionCriteria(metadata.SequenceNr, latest, metadata.SequenceNr),
            cancellationToken);
    }

    protected override async Task DeleteAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        await DeleteMatchingAsync(persistenceId, criteria, cancellationToken);

    protected override void PostStop()
    {
        _connection.Dispose();
        base.PostStop();
    }

    private async Task DeleteMatchingAsync(
        string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        var key = PersistenceKeys.Snapshots(_settings.KeyPrefix, persistenceId);
        if (criteria.MaxTimeStamp == DateTime.MaxValue && (criteria.MinTimestamp ?? DateTime.MinValue) == DateTime.MinValue)
        {
            // no timestamp bound (the usual case): the sequence range alone decides, without reading a snapshot
            await database.SortedSetRemoveRangeByScoreAsync(key, criteria.MinSequenceNr, criteria.MaxSequenceNr)
                .WaitAsync(cancellationToken);
            return;
        }

        // the timestamp is inside the frame: read the candidates and remove exactly the matching members, so a
        // snapshot saved again at the same number meanwhile (another member) is left alone
        var candidates = await database.SortedSetRangeByScoreAsync(key, criteria.MinSequenceNr, criteria.MaxSequenceNr)
            .WaitAsync(cancellationToken);
        var matching = candidates.Where(frame => Matches(criteria, SnapshotFrame.Decode((byte[])frame!))).ToArray();
        if (matching.Length > 0)
        {
            await database.SortedSetRemoveAsync(key, matching).WaitAsync(cancellationToken);
        }
    }

    private static bool Matches(SnapshotSelectionCriteria criteria, StoredSnapshot stored) =>
        stored.SequenceNr >= criteria.MinSequenceNr && stored.SequenceNr <= criteria.MaxSequenceNr
        && stored.Timestamp <= criteria.MaxTimeStamp && stored.Timestamp >= (criteria.MinTimestamp ?? DateTime.MinValue);
}
