using System.Numerics;
using Spike.Actors.Inventory;

namespace Spike.Actors.Dashboard;

/// <summary>
/// This node's buy answers since the last <see cref="Drain"/>: a counter per outcome and a latency histogram
/// with power-of-two microsecond buckets. Counting is two interlocked increments, without lock or allocation,
/// so the buy path can afford it on every answer.
/// </summary>
public sealed class BuyTally
{
    /// <summary>Bucket i counts latencies in [2^i, 2^(i+1)) µs; the last one everything from 2^24 µs (about 17 s) on.</summary>
    private const int Buckets = 25;

    private static readonly int StatusSlots = (int)Enum.GetValues<ReserveStatus>().Max() + 1;

    private readonly long[] _answers = new long[StatusSlots];
    private readonly long[] _latencies = new long[Buckets];

    public void Count(ReserveStatus status, TimeSpan latency)
    {
        Interlocked.Increment(ref _answers[(int)status]);
        var micros = (ulong)Math.Max(1, latency.Ticks / TimeSpan.TicksPerMicrosecond);
        Interlocked.Increment(ref _latencies[Math.Min(Buckets - 1, BitOperations.Log2(micros))]);
    }

    /// <summary>The answers counted since the last call, as rates over <paramref name="interval"/>, and zeroes the counters.</summary>
    /// <remarks>One drainer only (the node's <see cref="BuyRatesActor"/>): each counter is taken and zeroed atomically, an answer counted meanwhile lands in the next drain.</remarks>
    public BuyRates Drain(string node, long atUnixMs, TimeSpan interval)
    {
        var seconds = Math.Max(interval.TotalSeconds, 0.001);
        var outcomes = new List<OutcomeRate>();
        for (var status = 0; status < _answers.Length; status++)
        {
            if (Interlocked.Exchange(ref _answers[status], 0) is var count and > 0)
            {
                outcomes.Add(new OutcomeRate((ReserveStatus)status, count / seconds));
            }
        }
        var histogram = new long[Buckets];
        for (var bucket = 0; bucket < Buckets; bucket++)
        {
            histogram[bucket] = Interlocked.Exchange(ref _latencies[bucket], 0);
        }
        return new BuyRates(node, atUnixMs, outcomes, P99Ms(histogram));
    }

    private static double? P99Ms(long[] histogram)
    {
        var total = histogram.Sum();
        if (total == 0)
        {
            return null;
        }
        var rank = (long)Math.Ceiling(total * 0.99);
        var seen = 0L;
        var bucket = 0;
        while ((seen += histogram[bucket]) < rank)
        {
            bucket++;
        }
        return Math.Pow(2, bucket + 1) / 1000.0;
    }
}
