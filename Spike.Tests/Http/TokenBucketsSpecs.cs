using System.Diagnostics;
using Spike.Api.Admission;

namespace Spike.Tests.Http;

public sealed class TokenBucketsSpecs
{
    private static readonly long Second = Stopwatch.Frequency;
    private const long Start = 1_000_000_000;

    /// <summary>Takes a token when there is one; true when it was taken.</summary>
    private static bool Ask(TokenBuckets<string> buckets, string key, long now, out TimeSpan retryAfter)
    {
        if (!buckets.HasToken(key, now, out retryAfter))
        {
            return false;
        }
        buckets.Take(key, now);
        return true;
    }

    [Fact]
    public void Should_grant_the_burst_at_once_and_refuse_the_next_with_the_time_until_a_token_is_back()
    {
        var buckets = new TokenBuckets<string>(perSecond: 2, burst: 3, bucketsLog2: 10);

        var granted = Enumerable.Range(0, 3).Select(i => Ask(buckets, "u", Start, out _)).ToArray();
        var refused = Ask(buckets, "u", Start, out var retryAfter);

        Assert.All(granted, Assert.True);
        Assert.False(refused);
        Assert.Equal(TimeSpan.FromMilliseconds(500), retryAfter);
    }

    [Theory]
    [InlineData(499, false)]
    [InlineData(500, true)]
    public void Should_grant_again_once_one_interval_has_passed(int millisecondsLater, bool expected)
    {
        var buckets = new TokenBuckets<string>(perSecond: 2, burst: 1, bucketsLog2: 10);
        Assert.True(Ask(buckets, "u", Start, out _));

        var again = Ask(buckets, "u", Start + (Second * millisecondsLater / 1000), out _);

        Assert.Equal(expected, again);
    }

    [Fact]
    public void Should_not_take_a_token_when_only_asked_whether_there_is_one()
    {
        var buckets = new TokenBuckets<string>(perSecond: 1, burst: 1, bucketsLog2: 10);

        var asked = Enumerable.Range(0, 5).Select(i => buckets.HasToken("u", Start, out _)).ToArray();

        Assert.All(asked, Assert.True);
        Assert.True(Ask(buckets, "u", Start, out _));
    }

    [Fact]
    public void Should_keep_granting_other_keys_when_one_key_has_emptied_its_buckets()
    {
        // 200 keys at one instant in 16,384 buckets: a table many times the keys counting at once, as sized in production.
        var buckets = new TokenBuckets<string>(perSecond: 1, burst: 2, bucketsLog2: 14);
        while (Ask(buckets, "hammer", Start, out _))
        {
        }

        var others = Enumerable.Range(0, 200).Select(i => Ask(buckets, $"user-{i}", Start, out _)).ToArray();

        Assert.False(Ask(buckets, "hammer", Start, out _));
        Assert.All(others, Assert.True);
    }
}
