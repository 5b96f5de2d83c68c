namespace Spike.Persistence.Redis;

/// <summary>
/// The Lua scripts of the journal and the snapshot store. Each runs atomically; StackExchange.Redis sends them by
/// EVALSHA and loads them again after NOSCRIPT (a Redis restart).
/// </summary>
/// <remarks>
/// A script error does not undo the writes before it, so every check that can fail runs before the first write.
/// Sequence numbers travel as decimal strings and are compared as Lua numbers (doubles): exact up to 2^53, like the
/// sorted-set scores they are stored as.
/// </remarks>
internal static class PersistenceScripts
{
    /// <summary>
    /// Appends one AtomicWrite. KEYS: events, highest. ARGV: the write's lowest and highest sequence number, then one
    /// score/member pair per event. Writes nothing unless the lowest sequence number is above the stored highest (so a
    /// retried or concurrent write of the same numbers never stores an event twice); otherwise adds every event and
    /// sets highest. Returns the highest stored before the call: the write happened if that is below its lowest.
    /// </summary>
    public const string Append = """
        if #ARGV < 4 or #ARGV % 2 ~= 0 then
          return redis.error_reply('ERR spike journal append: arguments must be lowest, highest and score/member pairs')
        end
        local stored = tonumber(redis.call('GET', KEYS[2]) or '0')
        if tonumber(ARGV[1]) <= stored then
          return stored
        end
        -- unpack() is bounded by Lua's C stack (about 8000 values): add the pairs in chunks (an even count)
        local chunk = 2000
        for first = 3, #ARGV, chunk do
          redis.call('ZADD', KEYS[1], unpack(ARGV, first, math.min(first + chunk - 1, #ARGV)))
        end
        redis.call('SET', KEYS[2], ARGV[2])
        return stored
        """;

    /// <summary>
    /// Saves one snapshot, replacing the one stored at the same sequence number. KEYS: snapshots. ARGV: sequence
    /// number, frame.
    /// </summary>
    public const string SaveSnapshot = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
        redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;
}
