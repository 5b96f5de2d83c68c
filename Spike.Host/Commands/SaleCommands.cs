using System.Globalization;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Commands;
using Spike.Host.Redis;

namespace Spike.Host.Commands;

/// <summary>Every sale Redis holds, with the counts and the state the admin API's <c>GET /admin/sales/{id}</c> answers.</summary>
public sealed class SaleListCommand(SaleCatalog catalog, IInventoryStore store, TimeProvider clock) : ICommandHandler
{
    private const int MaxSales = 1000;

    public CommandSpec Spec => CommandTable.SaleList;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var ids = await catalog.ListSaleIdsAsync(MaxSales + 1, cancellationToken);
        var shown = 0;
        foreach (var id in ids.Take(MaxSales))
        {
            // a sale deleted between the scan and the read is simply not shown
            if (await store.GetSaleAsync(id, cancellationToken) is { } sale)
            {
                await output.LineAsync($"{sale.Id} | total: {sale.Total} | held: {sale.Held} | available: {sale.Available} | state: {SaleStates.Name(sale.StateNow(clock))}");
                shown++;
            }
        }
        await output.LineAsync(ids.Count > MaxSales ? $"Count: first {shown} sales (there are more)" : $"Count: {shown} sales");
        return CommandExitCodes.Ok;
    }
}

/// <summary>
/// One sale's counts and terms, its schedule and its state (by this node's clock, named as <c>GET /admin/sales/{id}</c>
/// names it), its Redis calls, and how far its reservations have come as orders.
/// </summary>
public sealed class SaleShowCommand(IInventoryStore store, IOrderStream orders, TimeProvider clock) : ICommandHandler
{
    /// <summary>An instant the schedule does not have: open from the start, or never closes.</summary>
    public const string NoInstant = "—";

    public CommandSpec Spec => CommandTable.SaleShow;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var id = command.Argument("sale-id");
        if (await store.GetSaleAsync(id, cancellationToken) is not { } sale
            || await orders.ProgressAsync(id, cancellationToken) is not { } progress)
        {
            await output.ErrorAsync($"unknown sale '{id}'");
            return CommandExitCodes.Failed;
        }
        await output.LinesAsync([
            $"sale: {sale.Id}",
            $"total: {sale.Total}",
            $"held: {sale.Held}",
            $"available: {sale.Available}",
            $"per-user limit: {sale.PerUserLimit}",
            $"payment window: {sale.PaymentWindowSeconds} s",
            $"opens at: {Instant(sale.Schedule.OpensAt)}",
            $"closes at: {Instant(sale.Schedule.ClosesAt)}",
            $"state: {SaleStates.Name(sale.StateNow(clock))}",
            $"reservations made: {sale.ReservationSeq}",
            $"reserve calls: {sale.ReserveCalls}",
            $"orders: {progress.Orders} created, {progress.Paid} paid, {progress.Released} released | feed lag: {progress.Lag}",
        ]);
        return CommandExitCodes.Ok;
    }

    /// <summary>ISO-8601 in UTC, to the millisecond when it has one: 2026-12-01T10:00:00Z, 2026-12-01T10:12:31.207Z.</summary>
    private static string Instant(DateTimeOffset? instant) =>
        instant?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF'Z'", CultureInfo.InvariantCulture) ?? NoInstant;
}
