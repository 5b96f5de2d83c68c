using System.Text.RegularExpressions;
using Spike.Actors.Orders;
using Spike.Cli.Bench;
using Spike.Persistence.Redis;
using Spike.Sales;

namespace Spike.Tests.Bench;

/// <summary>The patterns of the keys a bench removes afterwards (<see cref="BenchKeys"/>).</summary>
public sealed class BenchKeysSpecs
{
    private const string RunId = "c1795666904";

    public static TheoryData<string> KeysOfTheRun => new()
    {
        SaleKeys.Meta(RunId + "-n"),
        SaleKeys.Requests(RunId + "-n"),
        SaleKeys.Refusals(RunId + "-d"),
        SaleKeys.Users(RunId + "-s"),
        SaleKeys.Reservations(RunId + "-s"),
        SaleKeys.Orders(RunId + "-w"),
        SaleKeys.OrderStates(RunId + "-s"),
        SaleKeys.OrderDeadlines(RunId + "-s"),
        SaleKeys.Operations(RunId + "-s"),
        PersistenceKeys.Events(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + RunId + "-n-17"),
        PersistenceKeys.HighestSequenceNr(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + RunId + "-s-5000"),
    };

    public static TheoryData<string> OtherKeys => new()
    {
        SaleKeys.Meta("c1795666905-n"),
        SaleKeys.Meta("demo"),
        SaleKeys.Sales,
        PersistenceKeys.Events(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + "flash-1-3"),
        "ticket_hash_key",
    };

    [Theory]
    [MemberData(nameof(KeysOfTheRun))]
    public void Should_match_every_key_of_the_runs_sales_and_orders_when_given_its_run_id(string key) =>
        Assert.Contains(BenchKeys.Patterns(RunId), pattern => Matches(pattern, key));

    [Theory]
    [MemberData(nameof(OtherKeys))]
    public void Should_match_no_key_of_other_sales_when_given_a_run_id(string key) =>
        Assert.DoesNotContain(BenchKeys.Patterns(RunId), pattern => Matches(pattern, key));

    /// <summary>Redis's glob, as far as the patterns use it: '*' is any text, everything else itself.</summary>
    private static bool Matches(string pattern, string key) =>
        Regex.IsMatch(key, "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline);
}
