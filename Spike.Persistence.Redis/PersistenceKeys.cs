namespace Spike.Persistence.Redis;

/// <summary>
/// The Redis key layout of the journal and the snapshot store: the one place that spells key names. Every key of a
/// persistence id carries the hash tag <c>{persistenceId}</c>, so one id's keys live in one Redis Cluster slot and one
/// Lua script may touch them all.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>&lt;prefix&gt;journal:{pid}:events</c> ZSET: score = sequence number, member = one event frame
/// (<see cref="EventFrame"/>; the frame carries its sequence number, so members never collide).</item>
/// <item><c>&lt;prefix&gt;journal:{pid}:highest</c> STRING: the highest sequence number ever written. Deleting events
/// never lowers it, so a recovered actor never reuses a sequence number.</item>
/// <item><c>&lt;prefix&gt;snapshot:{pid}</c> ZSET: score = sequence number, member = one snapshot frame
/// (<see cref="SnapshotFrame"/>); at most one member per sequence number.</item>
/// </list>
/// Redis hashes the text between the first <c>{</c> and the next <c>}</c>, so an id with braces still keeps its keys
/// together; only an id that starts with <c>}</c> gives an empty tag (the whole key is hashed) and spreads its keys
/// over slots, which matters on a Redis Cluster alone.
/// Tags are stored inside each event frame; there is no per-tag index, because it would live in another slot and an
/// append could then no longer be one single-slot script.
/// </remarks>
public static class PersistenceKeys
{
    public static string Events(string prefix, string persistenceId) => Key(prefix, "journal:", persistenceId, ":events");

    public static string HighestSequenceNr(string prefix, string persistenceId) => Key(prefix, "journal:", persistenceId, ":highest");

    public static string Snapshots(string prefix, string persistenceId) => Key(prefix, "snapshot:", persistenceId, "");

    /// <summary>
    /// Refuses a prefix with braces: Redis hashes the first <c>{...}</c> of a key, and a brace in the prefix would
    /// move the hash tag off the persistence id.
    /// </summary>
    public static void ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new ArgumentException($"The key prefix must not contain braces: '{prefix}'.", nameof(prefix));
        }
    }

    private static string Key(string prefix, string kind, string persistenceId, string suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return prefix + kind + "{" + persistenceId + "}" + suffix;
    }
}
