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
    /// The first outcome recorded for each item's request id, or null where none was: read-only, for
    /// retries that arrive after sell-out.
    /// </summary>
    Task<IReadOnlyList<ItemOutcome?>> ResolveAsync(string saleId, IReadOnlyList<ReserveItem> items, CancellationToken cancellationToken = default);

    Task<SaleSnapshot?> GetSaleAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>Creates a sale or replaces its settings, keeping what is held; refuses a total below held.</summary>
    Task<SaleCommandResult> ConfigureSaleAsync(string saleId, SaleSettings settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds tickets; refuses (conflict) a total above <see cref="SaleLimits.MaxTotal"/>. With an
    /// <paramref name="operationId"/>, a repeat adds nothing and answers the first call's status with the current counts.
    /// </summary>
    Task<SaleCommandResult> AddStockAsync(string saleId, long amount, string? operationId, CancellationToken cancellationToken = default);
}

/// <param name="SaleKnown">False when the sale's key is missing: every item is then <see cref="ReserveStatus.UnknownSale"/>.</param>
/// <param name="Available">Tickets left after the batch.</param>
public sealed record ReserveBatchResult(bool SaleKnown, long Available, IReadOnlyList<ItemOutcome> Outcomes);

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
