namespace Spike.Actors.Inventory;

/// <summary>
/// The authority for a sale's stock (Redis in production). Every method is atomic on the store's side.
/// Methods throw <see cref="InventoryUnavailableException"/> when the store cannot be reached or
/// does not answer in time.
/// </summary>
public interface IInventoryStore
{
    /// <summary>Runs a batch of reservations in one atomic call; outcomes follow the items' order.</summary>
    Task<ReserveBatchResult> ReserveAsync(string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every reservation of the sale, read without locking it: what a node keeps once the sale is sold out,
    /// so that a reserved buyer's retry still gets its order without a call. The reservation sequence is
    /// read first, so the list holds at least every reservation up to it.
    /// </summary>
    Task<SaleReservations> GetReservationsAsync(string saleId, CancellationToken cancellationToken = default);

    Task<SaleSnapshot?> GetSaleAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>Creates a sale or replaces its settings, keeping what is held; refuses a total below held.</summary>
    Task<SaleCommandResult> ConfigureSaleAsync(string saleId, SaleSettings settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds tickets; refuses (conflict) a total above <see cref="SaleLimits.MaxTotal"/>. With an
    /// <paramref name="operationId"/>, a repeat adds nothing and answers the first call's status with the current counts.
    /// </summary>
    Task<SaleCommandResult> AddStockAsync(string saleId, long amount, string? operationId, CancellationToken cancellationToken = default);

    /// <summary>Sets the sale's closing to the store's clock now, unless it closed earlier (updated), or unknown sale.</summary>
    Task<SaleCommandResult> CloseSaleAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a sale that is closed or sold out and has no open order, with everything stored for it (its orders'
    /// journals too); otherwise changes nothing and answers why (<see cref="SaleCommandStatus.StillSelling"/>,
    /// <see cref="SaleCommandStatus.OrdersOpen"/>), or unknown sale. Safe to repeat after a failure.
    /// </summary>
    Task<SaleCommandResult> DeleteSaleAsync(string saleId, CancellationToken cancellationToken = default);
}

/// <param name="SaleKnown">False when the sale's key is missing: every item is then <see cref="ReserveStatus.UnknownSale"/>.</param>
/// <param name="Available">Tickets left after the batch.</param>
/// <param name="ReservationSeq">Reservations ever made in the sale, after the batch.</param>
public sealed record ReserveBatchResult(bool SaleKnown, long Available, long ReservationSeq, IReadOnlyList<ItemOutcome> Outcomes);

/// <summary>One reservation: who holds it, under which request id, and its outcome as that request's answer.</summary>
public sealed record ReservationEntry(string UserId, string RequestId, ItemOutcome Outcome);

/// <param name="ReservationSeq">The sale's reservation sequence read before the entries.</param>
public sealed record SaleReservations(long ReservationSeq, IReadOnlyList<ReservationEntry> Entries);

/// <summary>The store is down, or a call timed out and its outcome is unknown.</summary>
public sealed class InventoryUnavailableException : Exception
{
    public InventoryUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public InventoryUnavailableException() : this("The inventory store is unavailable.")
    {
    }

    public InventoryUnavailableException(string message) : this(message, null)
    {
    }
}
