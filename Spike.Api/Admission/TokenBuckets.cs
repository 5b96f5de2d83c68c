using System.Diagnostics;

namespace Spike.Api.Admission;

/// <summary>
/// A token bucket per key, in a fixed table: each bucket is one number, the instant it is full again (the generic cell
/// rate algorithm: taking a token moves it one interval on; a bucket more than the burst ahead of now is empty). A key
/// owns no memory: it hashes to two buckets of the table, counts in both, and is refused only when both are empty
/// (a count-min sketch), so an honest key shares the fate of a hammering one only if both its hashes collide with it.
/// </summary>
/// <remarks>
/// A flash crowd brings a new user with almost every request. The framework's partitioned token buckets keep a
/// limiter object per key and a timer walks all of them; measured on the sold-out path that cost a node half its
/// throughput at first, and a dictionary of per-key instants still cost 30 ms of p99 (a swept dictionary of hundreds
/// of thousands of short-lived entries keeps the GC busy). The table costs 8 bytes a bucket, allocated once.
/// </remarks>
public sealed class TokenBuckets<TKey> where TKey : notnull
{
    private readonly long[] _fullAt;
    private readonly int _mask;
    private readonly long _interval;
    private readonly long _tolerance;

    /// <param name="bucketsLog2">The table holds 2^this buckets: many times the keys counting at once (taken a token not yet back).</param>
    public TokenBuckets(int perSecond, int burst, int bucketsLog2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketsLog2, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucketsLog2, 30);
        _fullAt = new long[1 << bucketsLog2];
        _mask = _fullAt.Length - 1;
        _interval = Math.Max(1, Stopwatch.Frequency / perSecond);
        _tolerance = _interval * burst;
    }

    /// <summary>
    /// Whether the key has a token at <paramref name="now"/> (a <see cref="Stopwatch"/> timestamp), and if not how long
    /// until it has one. Nothing is taken.
    /// </summary>
    public bool HasToken(TKey key, long now, out TimeSpan retryAfter)
    {
        var (first, second) = BucketsOf(key);
        var fullAt = Math.Max(Math.Min(Volatile.Read(ref _fullAt[first]), Volatile.Read(ref _fullAt[second])), now) + _interval;
        var ahead = fullAt - now;
        retryAfter = ahead > _tolerance ? Stopwatch.GetElapsedTime(0, ahead - _tolerance) : TimeSpan.Zero;
        return ahead <= _tolerance;
    }

    /// <summary>Takes a token <see cref="HasToken"/> found, from both of the key's buckets.</summary>
    public void Take(TKey key, long now)
    {
        var (first, second) = BucketsOf(key);
        Advance(first, now);
        Advance(second, now);
    }

    private void Advance(int bucket, long now)
    {
        long seen, next;
        do
        {
            seen = Volatile.Read(ref _fullAt[bucket]);
            next = Math.Max(seen, now) + _interval;
        }
        while (Interlocked.CompareExchange(ref _fullAt[bucket], next, seen) != seen);
    }

    /// <summary>Two different buckets; the hashes are seeded per process, so no client can aim its keys at another's.</summary>
    private (int First, int Second) BucketsOf(TKey key)
    {
        var first = HashCode.Combine(key, 1) & _mask;
        var second = HashCode.Combine(key, 2) & _mask;
        return (first, second == first ? first ^ 1 : second);
    }
}
