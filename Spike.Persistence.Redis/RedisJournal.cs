using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using StackExchange.Redis;

namespace Spike.Persistence.Redis;

/// <summary>
/// An Akka.Persistence journal on Redis (plugin id <see cref="RedisPersistence.JournalPluginId"/>; layout in
/// <see cref="PersistenceKeys"/>). Each AtomicWrite is one Lua call (<see cref="PersistenceScripts.Append"/>), so it is
/// stored whole or not at all, and never twice.
/// </summary>
/// <remarks>
/// Outcomes of a write call: a write whose payload cannot be serialized is rejected in its own slot (nothing of it is
/// stored, the actor goes on); a Redis failure faults the call (the actors stop: the outcome is unknown, recovery
/// tells); a write refused for its sequence numbers faults the call with <see cref="SequenceNumberConflictException"/>,
/// so its writer stops instead of going on with a state the journal does not hold. The call's other writes are stored
/// all the same; their actors stop too (Akka reports a faulted call as failed for every write) and recover them.
/// </remarks>
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable",
    Justification = "An actor is not disposed by its owner: Akka ends its life, and PostStop disposes the connection.")]
public sealed class RedisJournal : AsyncWriteJournal
{
    /// <summary>Events per read while replaying: bounds the reply size for long histories.</summary>
    private const int ReplayPageSize = 1000;

    private readonly RedisPluginSettings _settings;
    private readonly RedisPluginConnection _connection;
    private readonly PayloadSerializer _serializer;

    public RedisJournal(Config config)
    {
        _settings = RedisPluginSettings.From(config, RedisPersistence.DefaultJournalConfig());
        _connection = new RedisPluginConnection(_settings);
        _serializer = new PayloadSerializer((ExtendedActorSystem)Context.System);
    }

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(
        IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        var writes = messages.ToList();
        var rejections = new Exception?[writes.Count];
        var appends = new List<(AtomicWrite Write, Task<RedisResult> Call)>(writes.Count);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            RedisValue[] arguments;
            try
            {
                arguments = AppendArguments(write);
            }
            catch (Exception serializationFailure)
            {
                // whatever a serializer throws is a rejection of this write alone: nothing of it reached Redis
                rejections[i] = serializationFailure;
                continue;
            }

            // not awaited one by one: the calls go out pipelined, in order, on one connection
            RedisKey[] keys =
            [
                PersistenceKeys.Events(_settings.KeyPrefix, write.PersistenceId),
                PersistenceKeys.HighestSequenceNr(_settings.KeyPrefix, write.PersistenceId),
            ];
            appends.Add((write, database.ScriptEvaluateAsync(PersistenceScripts.Append, keys, arguments)));
        }

        await Task.WhenAll(appends.Select(append => append.Call)).WaitAsync(cancellationToken);
        foreach (var (write, call) in appends)
        {
            var storedBefore = (long)call.Result;
            if (storedBefore >= write.LowestSequenceNr)
            {
                throw new SequenceNumberConflictException(write.PersistenceId, write.LowestSequenceNr, storedBefore);
            }
        }

        return rejections.ToImmutableList();
    }

    public override async Task ReplayMessagesAsync(
        IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var database = _connection.Database;
        var key = PersistenceKeys.Events(_settings.KeyPrefix, persistenceId);
        var from = fromSequenceNr;
        var remaining = max;
        while (remaining > 0 && from <= toSequenceNr)
        {
            var take = (int)Math.Min(remaining, ReplayPageSize);
            var page = await database.SortedSetRangeByScoreAsync(key, from, toSequenceNr, Exclude.None, Order.Ascending, 0, take);
            foreach (var frame in page)
            {
                var stored = EventFrame.Decode((byte[])frame!);
                recoveryCallback(new Persistent(
                    _serializer.Deserialize(stored.Payload), stored.SequenceNr, stored.PersistenceId, stored.Manifest,
                    isDeleted: false, ActorRefs.NoSender, stored.WriterGuid, stored.Timestamp));
                from = stored.SequenceNr + 1;
            }

            if (page.Length < take)
            {
                return;
            }

            remaining -= page.Length;
        }
    }

    public override async Task<long> ReadHighestSequenceNrAsync(
        string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        var highest = await database.StringGetAsync(PersistenceKeys.HighestSequenceNr(_settings.KeyPrefix, persistenceId))
            .WaitAsync(cancellationToken);
        return highest.IsNull ? 0 : (long)highest;
    }

    protected override async Task DeleteMessagesToAsync(
        string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        var database = _connection.Database;
        // the highest sequence number stays where it is: a recovered actor must never reuse a deleted number
        await database.SortedSetRemoveRangeByScoreAsync(
                PersistenceKeys.Events(_settings.KeyPrefix, persistenceId), double.NegativeInfinity, toSequenceNr)
            .WaitAsync(cancellationToken);
    }

    protected override void PostStop()
    {
        _connection.Dispose();
        base.PostStop();
    }

    /// <summary>The Append script's arguments for <paramref name="write"/>; throws when a payload does not serialize.</summary>
    private RedisValue[] AppendArguments(AtomicWrite write)
    {
        var events = (IImmutableList<IPersistentRepresentation>)write.Payload;
        var arguments = new RedisValue[2 + events.Count * 2];
        arguments[0] = write.LowestSequenceNr.ToString(CultureInfo.InvariantCulture);
        arguments[1] = write.HighestSequenceNr.ToString(CultureInfo.InvariantCulture);
        // the journal stamps the time: Akka hands events over without one
        var storedAt = DateTime.UtcNow.Ticks;
        for (var i = 0; i < events.Count; i++)
        {
            var persistent = events[i];
            var (payload, tags) = persistent.Payload is Tagged tagged
                ? (tagged.Payload, (IReadOnlyList<string>)tagged.Tags.ToArray())
                : (persistent.Payload, []);
            var stored = new StoredEvent(
                persistent.PersistenceId, persistent.SequenceNr, persistent.WriterGuid, persistent.Manifest,
                storedAt, tags, _serializer.Serialize(payload));
            arguments[2 + i * 2] = persistent.SequenceNr;
            arguments[3 + i * 2] = EventFrame.Encode(stored);
        }

        return arguments;
    }
}
