using Spike.Actors.Inventory;

namespace Spike.Tests.Actors;

public sealed class SaleScheduleSpecs
{
    private const long Opens = 1_800_000_000_000;
    private const long Closes = Opens + 60_000;

    [Theory]
    [InlineData(Opens - 1, SalePhase.NotOpen)]
    [InlineData(Opens, SalePhase.Open)]
    [InlineData(Opens + 1, SalePhase.Open)]
    [InlineData(Closes - 1, SalePhase.Open)]
    [InlineData(Closes, SalePhase.Closed)]
    [InlineData(Closes + 1, SalePhase.Closed)]
    public void Should_open_at_the_opening_instant_and_close_at_the_closing_one(long now, SalePhase expected)
    {
        var schedule = new SaleSchedule(Opens, Closes);

        var phase = schedule.PhaseAt(now);

        Assert.Equal(expected, phase);
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(0L)]
    [InlineData(long.MaxValue)]
    public void Should_be_open_at_any_instant_when_the_schedule_has_no_times(long now)
    {
        var schedule = default(SaleSchedule);

        Assert.Equal(SalePhase.Open, schedule.PhaseAt(now));
        Assert.False(schedule.HasTimes);
    }

    [Fact]
    public void Should_sell_until_the_closing_when_only_a_closing_is_set()
    {
        var schedule = new SaleSchedule(null, Closes);

        Assert.Equal((SalePhase.Open, SalePhase.Closed), (schedule.PhaseAt(Closes - 1), schedule.PhaseAt(Closes)));
    }

    [Fact]
    public void Should_stay_closed_before_the_opening_when_the_sale_was_closed_early()
    {
        var schedule = new SaleSchedule(Opens, Opens - 10_000);

        Assert.Equal(SalePhase.Closed, schedule.PhaseAt(Opens - 5_000));
    }

    [Theory]
    [InlineData(Opens, Opens)]
    [InlineData(Opens, Opens - 1)]
    public void Should_refuse_a_closing_when_it_is_not_after_the_opening(long opens, long closes)
    {
        Assert.NotNull(SaleSchedule.Check(opens, closes));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(Opens, null)]
    [InlineData(null, Closes)]
    [InlineData(Opens, Opens + 1)]
    public void Should_accept_a_schedule_when_either_instant_is_absent_or_the_closing_is_later(long? opens, long? closes)
    {
        Assert.Null(SaleSchedule.Check(opens, closes));
    }

    [Theory]
    [InlineData(Opens - 1, 5, SaleState.NotOpen)]
    [InlineData(Opens - 1, 0, SaleState.NotOpen)]
    [InlineData(Opens, 5, SaleState.Open)]
    [InlineData(Opens, 0, SaleState.SoldOut)]
    [InlineData(Closes, 5, SaleState.Closed)]
    [InlineData(Closes, 0, SaleState.Closed)]
    public void Should_name_the_phase_before_the_stock_when_a_sale_state_is_read(long now, long available, SaleState expected)
    {
        var sale = new SaleSnapshot("s", 5, 5 - available, available, 1, 300, Schedule: new SaleSchedule(Opens, Closes));

        Assert.Equal(expected, sale.StateAt(now));
    }
}
