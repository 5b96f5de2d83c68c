namespace Spike.Host.Redis;

/// <summary>
/// The Lua scripts that settle an order (<see cref="RedisOrderStore"/>). Each order is settled once: the first
/// script to write its field of the state hash wins, and any later one answers that state and changes nothing, so
/// a payment racing the deadline ends paid or expired, decided inside Redis.
/// </summary>
/// <remarks>Every check runs before the first write (a script error does not undo earlier writes).</remarks>
public static class OrderScripts
{
    /// <summary>
    /// KEYS: meta, users, res, state, due. ARGV: order id, 'cancelled' or 'expired'. Gives the reservation's tickets
    /// back (held - quantity, available + quantity, the buyer's count - quantity so they may buy again), counts the
    /// order as released, takes it off the deadlines and records the reason, unless the order is settled already.
    /// Returns the order's state afterwards, or '' when the sale or the reservation is unknown (nothing written).
    /// </summary>
    public const string Release = """
        local settled = redis.call('HGET', KEYS[4], ARGV[1])
        if settled then
          return settled
        end
        local record = redis.call('HGET', KEYS[3], ARGV[1])
        if not record or redis.call('EXISTS', KEYS[1]) == 0 then
          return ''
        end
        local user, q = string.match(record, '^(.-)\t(%d+)\t')
        if not user then
          return redis.error_reply('ERR spike release: malformed reservation record')
        end
        redis.call('HINCRBY', KEYS[1], 'held', -tonumber(q))
        redis.call('HINCRBY', KEYS[1], 'available', q)
        redis.call('HINCRBY', KEYS[1], 'released', 1)
        if redis.call('HINCRBY', KEYS[2], user, -tonumber(q)) <= 0 then
          redis.call('HDEL', KEYS[2], user)
        end
        redis.call('ZREM', KEYS[5], ARGV[1])
        redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
        return ARGV[2]
        """;

    /// <summary>
    /// KEYS: res, state, meta, due. ARGV: order id. Marks the reservation paid (its tickets stay held), counts it and
    /// takes it off the deadlines, unless the order is settled already. Returns the order's state afterwards, or ''
    /// when the sale or the reservation is unknown.
    /// </summary>
    public const string Pay = """
        local settled = redis.call('HGET', KEYS[2], ARGV[1])
        if settled then
          return settled
        end
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 or redis.call('EXISTS', KEYS[3]) == 0 then
          return ''
        end
        redis.call('HINCRBY', KEYS[3], 'paid', 1)
        redis.call('ZREM', KEYS[4], ARGV[1])
        redis.call('HSET', KEYS[2], ARGV[1], 'paid')
        return 'paid'
        """;
}
