using Spike.Actors.Orders;

namespace Spike.Tests.Orders;

public sealed class ReconciliationSpecs
{
    private static LedgerOrder Order(int seq, OrderState state = OrderState.Reserved, int quantity = 1) =>
        new($"s-{seq}", seq, quantity, 1_000, state);

    private static SaleLedger Ledger(long held, long entries, long created, LedgerOrder[] orders, params string[] due) =>
        new("s", held, entries, created, orders, due.ToHashSet());

    [Fact]
    public void Should_find_nothing_when_held_the_stream_the_orders_and_the_deadlines_agree()
    {
        var ledger = Ledger(held: 3, entries: 3, created: 3,
            [Order(1), Order(2, OrderState.Paid, quantity: 2), Order(3, OrderState.Expired)], "s-1");

        var plan = Reconciliation.Compare(ledger);

        Assert.Empty(plan.Found);
        Assert.Empty(plan.MissingDeadlines);
    }

    [Fact]
    public void Should_report_held_and_stream_mismatches_without_repairing_them()
    {
        var ledger = Ledger(held: 5, entries: 1, created: 1, [Order(1, OrderState.Paid), Order(2, OrderState.Cancelled)]);

        var plan = Reconciliation.Compare(ledger);

        Assert.Equal([(Reconciliation.HeldMismatch, 4L), (Reconciliation.StreamMismatch, 1L)], plan.Found.Select(d => (d.Kind, d.Count)));
        Assert.Empty(plan.MissingDeadlines);
    }

    [Fact]
    public void Should_put_created_open_orders_off_the_deadlines_back_and_leave_the_uncreated_ones_to_the_feed()
    {
        // Orders 1 to 3 are created (3 entries acknowledged), 4 and 5 are not yet; 3 is settled, 1 is on the deadlines.
        var ledger = Ledger(held: 4, entries: 5, created: 3,
            [Order(5), Order(4), Order(3, OrderState.Cancelled), Order(2), Order(1)], "s-1");

        var plan = Reconciliation.Compare(ledger);

        Assert.Equal(["s-2"], plan.MissingDeadlines);
        Assert.Equal([(Reconciliation.OrdersNotCreated, 2L), (Reconciliation.MissingDeadline, 1L)], plan.Found.Select(d => (d.Kind, d.Count)));
    }
}
