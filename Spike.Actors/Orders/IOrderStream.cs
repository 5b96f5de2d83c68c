namespace Spike.Actors.Orders;

/// <summary>
/// The sales' order streams as their one consumer, the order feed, reads them (Redis streams and a consumer group in
/// production): every reservation appends an entry, the feed creates its order and then acknowledges the entry, which
/// also registers the open order for its payment deadline. An entry stays pending until acknowledged, so an order
/// whose creation failed, or whose feed died, is read again. Methods throw
/// <see cref="Inventory.InventoryUnavailableException"/> when the store cannot be reached or does not answer in time.
/// </summary>
public interface IOrderStream
{
    /// <summary>The sales in the store.</summary>
    Task<IReadOnlyList<string>> ListSalesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="count"/> entries of the sale's stream: first those read before and not acknowledged, then
    /// new ones. Empty when the sale has no stream yet.
    /// </summary>
    Task<IReadOnlyList<OrderEntry>> ReadAsync(string saleId, int count, CancellationToken cancellationToken = default);

    /// <summary>When the sale's newest reservation was made; null when it has none.</summary>
    Task<DateTime?> LastReservationAtAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entries' orders exist: the entries are done, and each order not settled yet waits for its deadline in the
    /// store (see <see cref="DueAsync"/>).
    /// </summary>
    Task AcknowledgeAsync(string saleId, IReadOnlyList<OrderEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Open orders whose payment deadline is at or before <paramref name="nowUnixMs"/>, earliest first.</summary>
    Task<IReadOnlyList<string>> DueAsync(string saleId, long nowUnixMs, int count, CancellationToken cancellationToken = default);

    /// <summary>How far the sale's reservations have come as orders; null when the sale does not exist.</summary>
    Task<OrderProgress?> ProgressAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>Everything the store holds of the sale's orders, for <see cref="Reconciliation"/>; null when the sale does not exist.</summary>
    Task<SaleLedger?> ReadLedgerAsync(string saleId, CancellationToken cancellationToken = default);

    /// <summary>Puts open orders back on the deadlines (those settled meanwhile stay off).</summary>
    Task AddDeadlinesAsync(string saleId, IReadOnlyList<LedgerOrder> orders, CancellationToken cancellationToken = default);
}

/// <param name="EntryId">The stream entry's id.</param>
/// <param name="Order">The order the entry describes; null when the entry is malformed and can never become one.</param>
public sealed record OrderEntry(string EntryId, OrderCreated? Order);

/// <param name="Reserved">Reservations ever made in the sale (each one an order to be).</param>
/// <param name="Paid">Orders paid.</param>
/// <param name="Released">Orders whose tickets went back to the sale (cancelled or expired).</param>
/// <param name="Orders">Orders created from the stream so far.</param>
public sealed record OrderProgress(long Reserved, long Paid, long Released, long Orders)
{
    /// <summary>Reservations whose order the feed has not created yet.</summary>
    public long Lag => Math.Max(0, Reserved - Orders);
}
