using Spike.Actors.Inventory;

namespace Spike.Tests.Actors;

public sealed class LeaseBookSpecs
{
    private static readonly DateTime Now = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Should_grant_what_is_wanted_when_a_single_node_asks()
    {
        var book = new LeaseBook<string>();

        var granted = book.Grant("a", 100, available: 1_000, Now);

        Assert.Equal(100, granted);
        Assert.Equal(100, book.Outstanding);
    }

    [Fact]
    public void Should_grant_at_most_half_of_the_free_stock_while_others_hold_leases()
    {
        var book = new LeaseBook<string>();
        book.Grant("a", 90, available: 100, Now);

        var granted = book.Grant("b", 100, available: 100, Now);

        Assert.Equal(5, granted);
        Assert.Equal(5, book.Free(100));
    }

    [Fact]
    public void Should_keep_free_stock_when_consumed_tickets_leave_both_lease_and_available()
    {
        var book = new LeaseBook<string>();
        book.Grant("a", 10, available: 50, Now);

        book.Consume("a", 4, Now);

        Assert.Equal(6, book.AmountOf("a"));
        Assert.Equal(40, book.Free(46));
    }

    [Fact]
    public void Should_never_count_more_than_a_holder_has_when_it_returns_too_much()
    {
        var book = new LeaseBook<string>();
        book.Grant("a", 10, available: 50, Now);

        book.Return("a", 25, Now);

        Assert.Equal(0, book.Outstanding);
        Assert.Equal(0, book.AmountOf("a"));
    }

    [Fact]
    public void Should_release_the_allotment_of_reclaimed_holders()
    {
        var book = new LeaseBook<string>();
        book.Grant("a", 10, available: 50, Now);
        book.Grant("b", 10, available: 50, Now);

        var reclaimed = book.Reclaim(h => h == "a");

        Assert.Equal(["a"], reclaimed);
        Assert.Equal(10, book.Outstanding);
    }

    [Fact]
    public void Should_expire_only_leases_idle_since_before_the_cutoff()
    {
        var book = new LeaseBook<string>();
        book.Grant("idle", 10, available: 100, Now);
        book.Grant("busy", 10, available: 100, Now);
        book.MarkActive("busy", Now.AddSeconds(5));

        var expired = book.Expire(Now.AddSeconds(1));

        Assert.Equal(["idle"], expired);
        Assert.Equal(10, book.Outstanding);
    }

    [Fact]
    public void Should_grant_nothing_when_everything_is_leased_out()
    {
        var book = new LeaseBook<string>();
        book.Grant("a", 10, available: 10, Now);

        Assert.Equal(0, book.Grant("b", 5, available: 10, Now));
    }
}
