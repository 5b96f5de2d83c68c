using Spike.Actors.Inventory;
using Spike.Commands;
using Spike.Host.Commands;
using Spike.Host.Redis;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Commands;

/// <summary><c>sale show</c> against a real Redis: a sale's schedule and its state, named as the admin API names it.</summary>
[Collection(RedisCollection.Name)]
public sealed class SaleShowCommandSpecs(RedisServerFixture redis)
{
    private readonly RedisInventoryStore _store = new(redis.Connection);

    /// <summary>A whole second, an hour from now: shown without a fraction.</summary>
    private static readonly DateTimeOffset OpensAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);

    /// <summary>An hour after the opening, with milliseconds: shown with them.</summary>
    private static readonly DateTimeOffset ClosesAt = OpensAt.AddHours(1).AddMilliseconds(207);

    public static TheoryData<TimeSpan, string> Clocks => new()
    {
        { TimeSpan.Zero, "not_open" },
        { TimeSpan.FromMinutes(90), "open" },
        { TimeSpan.FromHours(3), "closed" },
    };

    [Theory]
    [MemberData(nameof(Clocks))]
    public async Task Should_show_the_schedule_in_utc_and_the_state_by_the_nodes_clock_when_the_sale_has_times(TimeSpan clockAhead, string state)
    {
        var sale = await CreateSaleAsync(stock: 10, new SaleSchedule(OpensAt.ToUnixTimeMilliseconds(), ClosesAt.ToUnixTimeMilliseconds()));

        var shown = await ShowAsync(sale, new ShiftedClock(clockAhead));

        Assert.Equal(CommandExitCodes.Ok, shown.ExitCode);
        Assert.Equal($"opens at: {OpensAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss}Z", Line(shown, "opens at: "));
        Assert.Equal($"closes at: {ClosesAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss}.207Z", Line(shown, "closes at: "));
        Assert.Equal($"state: {state}", Line(shown, "state: "));
    }

    [Fact]
    public async Task Should_show_no_instants_and_sold_out_when_the_sale_has_no_times_and_no_stock()
    {
        var sale = await CreateSaleAsync(stock: 0, schedule: default);

        var shown = await ShowAsync(sale, TimeProvider.System);

        Assert.Equal($"opens at: {SaleShowCommand.NoInstant}", Line(shown, "opens at: "));
        Assert.Equal($"closes at: {SaleShowCommand.NoInstant}", Line(shown, "closes at: "));
        Assert.Equal("state: sold_out", Line(shown, "state: "));
    }

    private async Task<string> CreateSaleAsync(long stock, SaleSchedule schedule)
    {
        var sale = "show" + Guid.NewGuid().ToString("N")[..12];
        var created = await _store.ConfigureSaleAsync(sale, new SaleSettings(stock, 1, 300, schedule));
        Assert.Equal(SaleCommandStatus.Created, created.Status);
        return sale;
    }

    private Task<CommandResult> ShowAsync(string sale, TimeProvider clock)
    {
        var handler = new SaleShowCommand(_store, new RedisOrderStream(redis.Connection), clock);
        return CommandCapture.RunAsync(output => handler.RunAsync(CommandTable.Parse($"sale show {sale}").Command!, output, CancellationToken.None));
    }

    private static string Line(CommandResult result, string prefix) =>
        Assert.Single(result.Output, l => l.StartsWith(prefix, StringComparison.Ordinal));
}
