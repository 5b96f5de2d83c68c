using System.Globalization;

namespace Spike.Cli.Bench;

/// <summary>
/// Redis's command counters from <c>INFO commandstats</c>: every call since it started (not the <c>INFO</c> reads of these
/// counters themselves), and the same without what the order feed reads when it has nothing to do.
/// </summary>
public sealed record RedisCommandCounts(long All, long WithoutFeedPolling)
{
    /// <summary>The order feed's idle polling: its rounds every 500 ms and its sale list.</summary>
    private static readonly HashSet<string> FeedPolling = ["xreadgroup", "xrevrange", "zrangebyscore", "smembers", "exists"];

    private const string Prefix = "cmdstat_";

    /// <param name="info">the text of <c>INFO commandstats</c>: <c>cmdstat_get:calls=12,usec=...</c> lines</param>
    public static RedisCommandCounts Parse(string info)
    {
        long all = 0, feed = 0;
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (!line.StartsWith(Prefix, StringComparison.Ordinal) || colon < 0)
            {
                continue;
            }
            var name = line[Prefix.Length..colon];
            var calls = line[(colon + 1)..].Split(',').Select(f => f.Split('=')).FirstOrDefault(kv => kv is ["calls", _]);
            var count = calls is null ? 0 : long.Parse(calls[1], CultureInfo.InvariantCulture);
            if (name != "info")
            {
                all += count;
            }
            if (FeedPolling.Contains(name))
            {
                feed += count;
            }
        }
        return new RedisCommandCounts(all, all - feed);
    }
}
