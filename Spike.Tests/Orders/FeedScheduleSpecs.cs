using Spike.Actors.Orders;

namespace Spike.Tests.Orders;

public sealed class FeedScheduleSpecs
{
    private static readonly TimeSpan Busy = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);
    private static readonly DateTime Start = new(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Should_visit_a_sale_at_once_when_it_was_never_visited()
    {
        var schedule = new FeedSchedule(Busy, Quiet);

        Assert.Equal(["a", "b"], schedule.Due(["a", "b"], Start));
    }

    [Fact]
    public void Should_visit_a_sale_in_the_very_next_round_when_its_visits_find_work()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        var now = Start;

        for (var round = 0; round < 10; round++)
        {
            schedule.Visited("a", foundWork: true, now);
            now += TimeSpan.FromMilliseconds(1); // back to back: the feed goes on at once while work is left
            Assert.Equal(["a"], schedule.Due(["a"], now));
        }
    }

    [Fact]
    public void Should_double_the_pause_up_to_the_quiet_interval_when_visits_find_nothing()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        var now = Start;
        var pauses = new List<TimeSpan>();

        for (var visit = 0; visit < 8; visit++)
        {
            schedule.Visited("a", foundWork: false, now);
            var next = now;
            while (schedule.Due(["a"], next).Count == 0)
            {
                next += TimeSpan.FromMilliseconds(100);
            }
            pauses.Add(next - now);
            now = next;
        }

        Assert.Equal([0.5, 1, 2, 4, 5, 5, 5, 5], pauses.Select(p => p.TotalSeconds));
    }

    [Fact]
    public void Should_return_to_every_round_when_a_quiet_sale_finds_work_again()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        var now = Start;
        for (var visit = 0; visit < 6; visit++)
        {
            schedule.Visited("a", foundWork: false, now);
            now += Quiet;
        }

        schedule.Visited("a", foundWork: true, now);

        Assert.Equal(["a"], schedule.Due(["a"], now));
    }

    [Fact]
    public void Should_keep_other_sales_on_their_own_pace_when_one_is_quiet()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        for (var visit = 0; visit < 4; visit++)
        {
            schedule.Visited("quiet", foundWork: false, Start);
        }
        schedule.Visited("busy", foundWork: true, Start);

        Assert.Equal(["busy", "new"], schedule.Due(["quiet", "busy", "new"], Start + Busy));
    }

    [Fact]
    public void Should_start_over_when_a_sale_is_listed_again_after_it_was_gone()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        for (var visit = 0; visit < 6; visit++)
        {
            schedule.Visited("a", foundWork: false, Start);
        }

        Assert.Equal(["b"], schedule.Due(["b"], Start));

        Assert.Equal(["a"], schedule.Due(["a"], Start));
    }

    [Fact]
    public void Should_tell_a_quiet_sale_from_a_busy_one_when_asked_whether_its_last_visit_found_work()
    {
        var schedule = new FeedSchedule(Busy, Quiet);
        schedule.Visited("quiet", foundWork: false, Start);
        schedule.Visited("busy", foundWork: true, Start);

        Assert.False(schedule.FoundWorkLastTime("quiet"));
        Assert.True(schedule.FoundWorkLastTime("busy"));
        Assert.True(schedule.FoundWorkLastTime("never-visited"));
    }
}
