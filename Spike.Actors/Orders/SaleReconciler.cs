using Akka.Actor;

namespace Spike.Actors.Orders;

/// <summary>
/// Reconciles one sale: reads its <see cref="SaleLedger"/>, compares (<see cref="Reconciliation"/>), makes the safe
/// repairs and reports every difference. With <c>askSettledOrders</c> it also asks the order of every settled
/// reservation what it knows: an order the store settled but whose journal does not say so (its write was lost) is
/// sent the matching command, and records what the store decided. That asks one actor per settled order: the
/// operator's check, not the periodic one.
/// </summary>
public sealed class SaleReconciler(IOrderStream stream, IActorRef orders, TimeSpan orderTimeout)
{
    private const int OrdersAtOnce = 64;

    /// <summary>The report; null when the sale does not exist.</summary>
    public async Task<ReconcileReport?> RunAsync(string saleId, bool askSettledOrders, CancellationToken cancellationToken = default)
    {
        if (await stream.ReadLedgerAsync(saleId, cancellationToken) is not { } ledger)
        {
            return null;
        }
        var plan = Reconciliation.Compare(ledger);
        var differences = plan.Found.ToList();
        if (plan.MissingDeadlines.Count > 0)
        {
            var missing = plan.MissingDeadlines.ToHashSet(StringComparer.Ordinal);
            await stream.AddDeadlinesAsync(saleId, [.. ledger.Orders.Where(o => missing.Contains(o.OrderId))], cancellationToken);
            var index = differences.FindIndex(d => d.Kind == Reconciliation.MissingDeadline);
            differences[index] = differences[index] with { Repaired = missing.Count };
        }
        if (askSettledOrders && await SettledOnlyInStoreAsync(ledger) is { } behind)
        {
            differences.Add(behind);
        }
        return new ReconcileReport(saleId, differences);
    }

    private async Task<Difference?> SettledOnlyInStoreAsync(SaleLedger ledger)
    {
        long found = 0, repaired = 0;
        foreach (var chunk in ledger.Orders.Where(o => o.State != OrderState.Reserved).Chunk(OrdersAtOnce))
        {
            var results = await Task.WhenAll(chunk.Select(RecordSettlementAsync));
            found += results.Count(r => r != Outcome.InStep);
            repaired += results.Count(r => r == Outcome.Repaired);
        }
        return found == 0 ? null : new Difference(Reconciliation.SettledOnlyInStore, found,
            "orders the store settled whose actor still said reserved; sent the matching command so that it records the store's decision", repaired);
    }

    private enum Outcome
    {
        InStep,
        Repaired,
        NotRepaired,
    }

    private async Task<Outcome> RecordSettlementAsync(LedgerOrder order)
    {
        var known = await orders.AskOrderAsync(new GetOrder(order.OrderId), orderTimeout);
        if (known?.Order is not { State: OrderState.Reserved })
        {
            // In step, or no answer now (a later run asks again).
            return Outcome.InStep;
        }
        IOrderCommand settle = order.State switch
        {
            OrderState.Paid => new PayOrder(order.OrderId),
            OrderState.Cancelled => new CancelOrder(order.OrderId),
            _ => new ExpireOrder(order.OrderId),
        };
        var after = await orders.AskOrderAsync(settle, orderTimeout);
        return after?.Order?.State == order.State ? Outcome.Repaired : Outcome.NotRepaired;
    }
}
