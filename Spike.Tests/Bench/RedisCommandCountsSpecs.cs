using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>Redis's command counters as the bench reads them from INFO commandstats (<see cref="RedisCommandCounts"/>).</summary>
public sealed class RedisCommandCountsSpecs
{
    private const string Info =
        "# Commandstats\r\n" +
        "cmdstat_evalsha:calls=1278,usec=90000,usec_per_call=70.42,rejected_calls=0,failed_calls=0\r\n" +
        "cmdstat_info:calls=40,usec=900,usec_per_call=22.50,rejected_calls=0,failed_calls=0\r\n" +
        "cmdstat_xreadgroup:calls=300,usec=3000,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n" +
        "cmdstat_smembers:calls=20,usec=100,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n" +
        "cmdstat_hset:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n";

    [Fact]
    public void Should_count_every_call_but_info_and_apart_the_order_feeds_idle_polling_when_parsing_commandstats()
    {
        var counts = RedisCommandCounts.Parse(Info);

        Assert.Equal(new RedisCommandCounts(All: 1278 + 300 + 20 + 7, WithoutFeedPolling: 1278 + 7), counts);
    }
}
