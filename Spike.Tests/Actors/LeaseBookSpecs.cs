using Spike.Actors.Inventory;

namespace Spike.Tests.Actors;

public sealed class LeaseBookSpecs
{
    private static readonly DateTime Now = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    private static HolderState State(long acked, int allotment, long incarnation = 1) => new(incarnation, acked, allotment);

    /// <summary>A book where holder "a" has acknowledged a grant of <paramref name="granted"/>.</summary>
    private static LeaseBook<string> WithLease(int granted, long available = 100)
    {
        var book = new LeaseBook<string>();
        book.Report("a", State(0, 0), Now);
        var (amount, seq) = book.Grant("a", granted, needed: 0, available, Now);
        book.Report("a", State(seq, amount), Now);
        return book;
    }

    [Fact]
    public void Should_grant_what_is_wanted_when_a_single_node_asks()
    {
        var book = new LeaseBook<string>();

        var (granted, _) = book.Grant("a", 100, needed: 1, available: 1_000, Now);

        Assert.Equal(100, granted);
        Assert.Equal(100, book.Outstanding);
    }

    [Fact]
    public void Should_grant_at_most_half_of_the_free_stock_while_others_hold_leases()
    {
        var book = WithLease(90);

        var (granted, _) = book.Grant("b", 100, needed: 1, available: 100, Now);

        Assert.Equal(5, granted);
        Assert.Equal(5, book.Free(100));
    }

    [Fact]
    public void Should_grant_what_the_first_waiting_buyer_lacks_even_above_the_half_share()
    {
        var book = WithLease(96);

        var (granted, _) = book.Grant("b", 100, needed: 4, available: 100, Now);

        Assert.Equal(4, granted);
    }

    [Fact]
    public void Should_grant_nothing_when_what_is_free_cannot_serve_the_first_waiting_buyer()
    {
        var book = WithLease(98);

        var (granted, _) = book.Grant("b", 100, needed: 3, available: 100, Now);

        Assert.Equal(0, granted);
        Assert.Equal(2, book.Free(100));
    }

    [Fact]
    public void Should_count_a_grant_until_the_holder_acknowledges_it()
    {
        var book = new LeaseBook<string>();
        book.Report("a", State(0, 0), Now);
        var (granted, seq) = book.Grant("a", 10, needed: 0, available: 100, Now);

        // A report sent before the grant arrived says 0; the grant still counts.
        book.Report("a", State(seq - 1, 0), Now);
        Assert.Equal(granted, book.AmountOf("a"));

        book.Report("a", State(seq, 7), Now);
        Assert.Equal(7, book.AmountOf("a"));
    }

    [Fact]
    public void Should_count_batches_at_the_authority_and_what_their_answers_give_back()
    {
        var book = WithLease(10);
        book.Report("a", State(1, 6), Now); // 4 tickets went out in a batch
        book.BatchArrived("a", 4, Now);
        Assert.Equal(10, book.AmountOf("a"));

        // 3 sold, 1 refused for the user's limit: that one goes back to the node.
        var seq = book.BatchAnswered("a", incarnation: 1, quantity: 4, returned: 1, Now);
        Assert.Equal(7, book.AmountOf("a"));

        book.Report("a", State(seq, 7), Now);
        Assert.Equal(7, book.AmountOf("a"));
    }

    [Fact]
    public void Should_follow_the_holder_when_it_dropped_allotment_the_authority_did_not_have()
    {
        var book = WithLease(10);

        // The node sent 10 in a batch; Redis said sold out for all: the node drops them, so does the book.
        book.Report("a", State(1, 0), Now);
        book.BatchArrived("a", 10, Now);
        var seq = book.BatchAnswered("a", 1, quantity: 10, returned: 0, Now);

        Assert.Equal(0, book.AmountOf("a"));
        book.Report("a", State(seq, 0), Now);
        Assert.Equal(100, book.Free(100));
    }

    [Fact]
    public void Should_start_from_the_report_of_a_restarted_holder()
    {
        var book = WithLease(40);

        book.Report("a", State(0, 0, incarnation: 2), Now);

        Assert.Equal(0, book.AmountOf("a"));
        Assert.Equal(100, book.Free(100));
    }

    [Fact]
    public void Should_give_back_nothing_of_a_batch_answered_to_an_earlier_incarnation()
    {
        var book = WithLease(10);
        book.Report("a", State(1, 5), Now);
        book.BatchArrived("a", 5, Now);
        book.Report("a", State(0, 0, incarnation: 2), Now);

        book.BatchAnswered("a", incarnation: 1, quantity: 5, returned: 5, Now);

        Assert.Equal(0, book.AmountOf("a"));
    }

    [Fact]
    public void Should_ignore_a_report_sent_before_the_holder_saw_its_revocation()
    {
        var book = WithLease(10);
        var revoked = book.Revoke("a");

        book.Report("a", State(revoked - 1, 10), Now);
        Assert.Equal(0, book.AmountOf("a"));

        book.Report("a", State(revoked, 0), Now);
        Assert.Equal(0, book.AmountOf("a"));
    }

    [Fact]
    public void Should_release_the_allotment_of_reclaimed_holders()
    {
        var book = WithLease(30);
        book.Report("b", State(0, 0), Now);
        var (granted, _) = book.Grant("b", 20, needed: 0, available: 100, Now);

        var reclaimed = book.Reclaim(holder => holder == "a");

        Assert.Equal(["a"], reclaimed);
        Assert.Equal(granted, book.Outstanding);
    }

    [Fact]
    public void Should_find_idle_only_holders_with_allotment_and_nothing_in_flight()
    {
        var book = WithLease(10);
        book.Report("busy", State(0, 0), Now);
        book.Grant("busy", 10, needed: 0, available: 100, Now);
        book.BatchArrived("busy", 1, Now);
        book.Report("empty", State(0, 0), Now);

        var idle = book.Idle(Now.AddSeconds(1));

        Assert.Equal(["a"], idle);
    }

    [Fact]
    public void Should_not_keep_a_lease_alive_with_a_grant_of_nothing()
    {
        var book = WithLease(100, available: 100);
        var later = Now.AddSeconds(30);

        book.Grant("a", 10, needed: 0, available: 100, later); // nothing free: grants 0

        Assert.Equal(["a"], book.Idle(Now.AddSeconds(1)));
    }
}
