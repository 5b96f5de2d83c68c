namespace Spike.Host.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisInventoryStore"/>. Each runs atomically; StackExchange.Redis sends them by
/// EVALSHA and reloads them after NOSCRIPT (Redis restart, SCRIPT FLUSH).
/// </summary>
/// <remarks>
/// Lua pitfalls kept in mind: integer 0 is truthy, so integer replies are compared with <c>== 0</c>/<c>== 1</c>;
/// a missing hash field is <c>false</c>, read through <c>tonumber(x or '0')</c>; a script error does not roll back
/// the writes before it, so every check that can fail runs before the first write.
/// </remarks>
public static class InventoryScripts
{
    /// <summary>Refusal codes, stored in the refusals hash and returned per item.</summary>
    public const string SoldOutCode = "S";
    public const string LimitReachedCode = "L";
    public const string NotEnoughLeftCode = "N";
    /// <summary>A new request after the sale closed, by Redis's clock. Never stored: it is the sale's state, not the request's.</summary>
    public const string ClosedCode = "C";
    /// <summary>Prefix of a new request's outcome before the sale opens, by Redis's clock: <c>O:&lt;opens unix ms&gt;</c>. Never stored.</summary>
    public const string NotOpenPrefix = "O:";
    /// <summary>Prefix of a reserved outcome: <c>R:&lt;payBy unix ms&gt;:&lt;quantity&gt;:&lt;orderId&gt;</c>.</summary>
    public const string ReservedPrefix = "R:";

    /// <summary>
    /// KEYS: meta, req, refusals, users, res, orders. ARGV: sale id, now (unix ms), refusal retention (seconds), then
    /// per item: request id, user id, quantity. Returns <c>{0}</c> when the sale is unknown (nothing written), else
    /// <c>{1, available, seq, outcome...}</c> with available and the order counter seq after the call.
    /// </summary>
    /// <remarks>
    /// A request (user and request id) is answered with what it got first: looked up in req, then in refusals. A new
    /// request before the sale's opening or after its closing (meta fields opens and closes, unix ms, compared with
    /// Redis's own clock, TIME) is answered <c>O:&lt;opens&gt;</c> or <c>C</c> and nothing is written for it, so a
    /// node whose clock runs ahead cannot sell early, and a retry after the opening is decided afresh. The
    /// per-user limit is checked before the stock; too few tickets is <c>N</c> while some are left, <c>S</c> when none
    /// are. A reserved answer goes to req, which never expires, so a request id keeps it as long as the sale exists
    /// and can never reserve twice. A refusal goes to refusals, whose expiry every call that writes one sets to the
    /// retention again (once per call): a refusal is kept at least the retention after the sale's last refusal, and
    /// after that a retry with its request id is decided afresh.
    /// </remarks>
    public const string Reserve = """
        local meta = redis.call('HMGET', KEYS[1], 'available', 'held', 'limit', 'window', 'seq', 'opens', 'closes')
        if not meta[1] then
          return {0}
        end
        -- the schedule by Redis's clock. Since Redis 5 a script's effects are replicated, not the script, so
        -- TIME before a write needs no redis.replicate_commands() (Redis 7 here; Redis < 5 would need it).
        local shut = false
        if meta[6] or meta[7] then
          local time = redis.call('TIME')
          local clock = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
          if meta[7] and clock >= tonumber(meta[7]) then
            shut = 'C'
          elseif meta[6] and clock < tonumber(meta[6]) then
            shut = 'O:' .. meta[6]
          end
        end
        local available = tonumber(meta[1])
        local held = tonumber(meta[2])
        local limit = tonumber(meta[3])
        local window = tonumber(meta[4])
        local seq = tonumber(meta[5] or '0')
        local sale = ARGV[1]
        local now = tonumber(ARGV[2])
        local retention = tonumber(ARGV[3])
        local n = (#ARGV - 3) / 3
        -- validate before the first write: an error does not undo what was written
        if n ~= math.floor(n) then
          return redis.error_reply('ERR spike reserve: arguments must be sale, now, refusal retention and item triplets')
        end
        if not retention or retention < 1 or retention ~= math.floor(retention) then
          return redis.error_reply('ERR spike reserve: refusal retention must be a positive number of seconds')
        end
        for i = 0, n - 1 do
          local q = tonumber(ARGV[6 + i * 3])
          if not q or q < 1 or q ~= math.floor(q) then
            return redis.error_reply('ERR spike reserve: quantity must be a positive integer')
          end
        end
        -- the sale's reserve calls, for its Redis cost per ticket
        redis.call('HINCRBY', KEYS[1], 'calls', 1)
        local out = {1, 0, 0}
        local reserved = 0
        local refused = false
        -- while no refusal is kept, a new request costs no refusal lookup
        local refusalsKept = redis.call('EXISTS', KEYS[3]) == 1
        -- formatted once per call: string.format costs as much as a Redis write per item
        local payBy = string.format('%d', now + window * 1000)
        local reservedPrefix = 'R:' .. payBy .. ':'
        for i = 0, n - 1 do
          local rid = ARGV[4 + i * 3]
          local user = ARGV[5 + i * 3]
          local q = ARGV[6 + i * 3]
          local qty = tonumber(q)
          local rkey = user .. '\n' .. rid
          local outcome = redis.call('HGET', KEYS[2], rkey)
          if not outcome and refusalsKept then
            outcome = redis.call('HGET', KEYS[3], rkey)
          end
          if not outcome and shut then
            outcome = shut
          elseif not outcome then
            local has = tonumber(redis.call('HGET', KEYS[4], user) or '0')
            if has + qty > limit then
              outcome = 'L'
            elseif available < qty then
              if available > 0 then
                outcome = 'N'
              else
                outcome = 'S'
              end
            end
            if outcome then
              redis.call('HSET', KEYS[3], rkey, outcome)
              refused = true
              refusalsKept = true
            else
              available = available - qty
              held = held + qty
              seq = seq + 1
              reserved = reserved + 1
              -- seq stays far below 2^53, where tostring of a Lua number is an exact integer
              local orderId = sale .. '-' .. tostring(seq)
              redis.call('HINCRBY', KEYS[4], user, q)
              redis.call('HSET', KEYS[5], orderId, user .. '\t' .. q .. '\t' .. payBy .. '\t' .. rid)
              redis.call('XADD', KEYS[6], '*', 'orderId', orderId, 'user', user, 'quantity', q,
                'payBy', payBy, 'requestId', rid)
              outcome = reservedPrefix .. q .. ':' .. orderId
              redis.call('HSET', KEYS[2], rkey, outcome)
            end
          end
          out[#out + 1] = outcome
        end
        if reserved > 0 then
          redis.call('HSET', KEYS[1], 'available', string.format('%d', available),
            'held', string.format('%d', held), 'seq', string.format('%d', seq))
        end
        if refused then
          redis.call('EXPIRE', KEYS[3], ARGV[3])
        end
        out[2] = available
        out[3] = seq
        return out
        """;

    /// <summary>
    /// KEYS: meta. ARGV: stock, per-user limit, payment window seconds, opens and closes (unix ms, '' for none: the
    /// schedule is replaced as a whole, like the other terms).
    /// Returns <c>{status, total, held, available, limit, window, seq, opens, closes}</c> (opens and closes '' when
    /// none); status 1 created, 2 updated, 4 conflict.
    /// </summary>
    public const string Configure = """
        local stock = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local window = tonumber(ARGV[3])
        local function schedule()
          for i, field in ipairs({'opens', 'closes'}) do
            if ARGV[3 + i] == '' then
              redis.call('HDEL', KEYS[1], field)
            else
              redis.call('HSET', KEYS[1], field, ARGV[3 + i])
            end
          end
        end
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('HSET', KEYS[1], 'total', ARGV[1], 'available', ARGV[1], 'held', '0',
            'limit', ARGV[2], 'window', ARGV[3], 'seq', '0')
          schedule()
          return {1, stock, 0, stock, limit, window, 0, ARGV[4], ARGV[5]}
        end
        local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'available', 'limit', 'window', 'seq', 'opens', 'closes')
        local held = tonumber(m[2] or '0')
        local seq = tonumber(m[6] or '0')
        if stock < held then
          return {4, tonumber(m[1]), held, tonumber(m[3]), tonumber(m[4]), tonumber(m[5]), seq, m[7] or '', m[8] or ''}
        end
        redis.call('HSET', KEYS[1], 'total', ARGV[1], 'available', string.format('%d', stock - held),
          'limit', ARGV[2], 'window', ARGV[3])
        schedule()
        return {2, stock, held, stock - held, limit, window, seq, ARGV[4], ARGV[5]}
        """;

    /// <summary>
    /// KEYS: meta. Sets the closing to Redis's clock now, unless the sale closed earlier. Returns <c>{3}</c> for an
    /// unknown sale, else <c>{2, total, held, available, limit, window, seq, opens, closes}</c> (as <see cref="Configure"/>).
    /// </summary>
    public const string Close = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return {3}
        end
        local time = redis.call('TIME')
        local clock = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local closes = redis.call('HGET', KEYS[1], 'closes')
        if not closes or tonumber(closes) > clock then
          redis.call('HSET', KEYS[1], 'closes', string.format('%d', clock))
        end
        local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'available', 'limit', 'window', 'seq', 'opens', 'closes')
        return {2, tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4]), tonumber(m[5]), tonumber(m[6] or '0'),
          m[7] or '', m[8] or ''}
        """;

    /// <summary>
    /// KEYS: every key of the sale, meta first (<c>SaleKeys.All</c>). ARGV: '1' to delete, '0' to check only.
    /// A sale may go when it is closed (by Redis's clock) or sold out, and every reservation's order is settled (seq =
    /// paid + released). Returns <c>{3}</c> for an unknown sale, else <c>{status, total, held, available, limit, window,
    /// seq, opens, closes}</c> as it was: status 6 deleted (or deletable, when checking), 7 still selling, 8 orders open.
    /// </summary>
    public const string Delete = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return {3}
        end
        local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'available', 'limit', 'window', 'seq', 'opens', 'closes',
          'paid', 'released')
        local seq = tonumber(m[6] or '0')
        local status = 6
        local time = redis.call('TIME')
        local clock = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local closed = m[8] and clock >= tonumber(m[8])
        if not closed and tonumber(m[3]) > 0 then
          status = 7
        elseif seq - tonumber(m[9] or '0') - tonumber(m[10] or '0') > 0 then
          status = 8
        elseif ARGV[1] == '1' then
          redis.call('DEL', unpack(KEYS))
        end
        return {status, tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4]), tonumber(m[5]), seq,
          m[7] or '', m[8] or ''}
        """;

    /// <summary>
    /// KEYS: meta, ops. ARGV: amount, maximum total, operation id ('' for none). Returns <c>{3}</c> for an
    /// unknown sale, else <c>{status, total, held, available, limit, window, seq, opens, closes}</c> (as
    /// <see cref="Configure"/>): status 2 added, 4 conflict
    /// (the total would exceed the maximum; nothing added). An operation id seen before adds nothing and
    /// answers its first status with the current counts.
    /// </summary>
    public const string AddStock = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return {3}
        end
        local op = ARGV[3]
        local status = op ~= '' and redis.call('HGET', KEYS[2], op)
        if not status then
          -- both below 2^53, so the sum is exact
          if tonumber(redis.call('HGET', KEYS[1], 'total')) + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
            status = '4'
          else
            redis.call('HINCRBY', KEYS[1], 'total', ARGV[1])
            redis.call('HINCRBY', KEYS[1], 'available', ARGV[1])
            status = '2'
          end
          if op ~= '' then
            redis.call('HSET', KEYS[2], op, status)
          end
        end
        local m = redis.call('HMGET', KEYS[1], 'total', 'held', 'available', 'limit', 'window', 'seq', 'opens', 'closes')
        return {tonumber(status), tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4]), tonumber(m[5]), tonumber(m[6] or '0'),
          m[7] or '', m[8] or ''}
        """;
}
