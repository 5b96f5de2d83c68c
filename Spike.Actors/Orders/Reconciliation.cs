namespace Spike.Actors.Orders;

/// <summary>What the store holds of a sale's orders, read at one moment.</summary>
/// <param name="Held">The sale's held count.</param>
/// <param name="StreamEntries">Entries in the sale's order stream (one per reservation).</param>
/// <param name="OrdersCreated">Entries the order feed has turned into orders (and acknowledged).</param>
/// <param name="Orders">Every reservation record, with the state the store settled it in.</param>
/// <param name="Due">Open orders on the sale's deadlines.</param>
public sealed record SaleLedger(
    string SaleId, long Held, long StreamEntries, long OrdersCreated, IReadOnlyList<LedgerOrder> Orders, IReadOnlySet<string> Due);

/// <param name="Seq">The order's number in its sale (its id is <c>&lt;sale&gt;-&lt;seq&gt;</c>): the order of the stream.</param>
/// <param name="State">Reserved while the store has not settled it.</param>
public sealed record LedgerOrder(string OrderId, long Seq, int Quantity, long PayByUnixMs, OrderState State);

/// <summary>One way the sale's records disagree, how often, and how many of those were repaired.</summary>
public sealed record Difference(string Kind, long Count, string Detail, long Repaired = 0);

public sealed record ReconcileReport(string SaleId, IReadOnlyList<Difference> Differences)
{
    public bool Clean => Differences.Count == 0;
}

/// <summary>What reconciling a sale found, and the repairs that are safe to make.</summary>
/// <param name="MissingDeadlines">Open orders the feed created that are not on the deadlines: put them back on.</param>
public sealed record ReconcilePlan(IReadOnlyList<Difference> Found, IReadOnlyList<string> MissingDeadlines);

/// <summary>
/// Compares a sale's records with each other. Pure: the caller reads the <see cref="SaleLedger"/>, makes the
/// repairs of the <see cref="ReconcilePlan"/> and reports. Repairs are made only where they cannot be wrong: a
/// deadline entry is a reminder to ask the order to expire, and the order and the store decide whether it does.
/// </summary>
public static class Reconciliation
{
    public const string HeldMismatch = "held_mismatch";
    public const string StreamMismatch = "stream_mismatch";
    public const string OrdersNotCreated = "orders_not_created";
    public const string MissingDeadline = "missing_deadline";
    public const string SettledOnlyInStore = "settled_only_in_store";

    public static ReconcilePlan Compare(SaleLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var found = new List<Difference>();
        var holding = ledger.Orders.Where(o => o.State is OrderState.Reserved or OrderState.Paid).Sum(o => (long)o.Quantity);
        if (holding != ledger.Held)
        {
            found.Add(new Difference(HeldMismatch, Math.Abs(holding - ledger.Held),
                $"held is {ledger.Held}, the reserved and paid orders hold {holding}; not repaired: which one is right needs a person"));
        }
        if (ledger.StreamEntries != ledger.Orders.Count)
        {
            found.Add(new Difference(StreamMismatch, Math.Abs(ledger.StreamEntries - ledger.Orders.Count),
                $"{ledger.Orders.Count} reservation records, {ledger.StreamEntries} order stream entries; not repaired"));
        }
        var notCreated = Math.Max(0, ledger.StreamEntries - ledger.OrdersCreated);
        if (notCreated > 0)
        {
            found.Add(new Difference(OrdersNotCreated, notCreated,
                "reservations whose order the feed has not created yet; the feed creates them (it reads every entry until acknowledged)"));
        }
        // The stream is in order of the reservations: the feed has created the first OrdersCreated of them.
        var missing = ledger.Orders.OrderBy(o => o.Seq).Take((int)Math.Min(ledger.OrdersCreated, int.MaxValue))
            .Where(o => o.State == OrderState.Reserved && !ledger.Due.Contains(o.OrderId))
            .Select(o => o.OrderId)
            .ToArray();
        if (missing.Length > 0)
        {
            found.Add(new Difference(MissingDeadline, missing.Length,
                "open orders created by the feed but not on the deadlines (they would not expire unless asked); put back on"));
        }
        return new ReconcilePlan(found, missing);
    }
}
