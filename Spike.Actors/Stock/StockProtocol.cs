using System.Diagnostics;
using Spike.Actors.Inventory;

namespace Spike.Actors.Stock;

// The protocol of the node-local StockActors. Never leaves the node, so no serializer binds to it.

/// <summary>
/// One buyer's request. The actor completes <paramref name="Completion"/> instead of replying: cheaper
/// than an Ask; the HTTP handler awaits it with its own deadline (also carried by the item, so that the
/// authority does not run a request whose buyer stopped waiting). A completion already cancelled by that
/// deadline is skipped, so nothing is deducted for a buyer who has been answered.
/// <paramref name="CreatedAt"/>: <see cref="Environment.TickCount64"/>. <paramref name="WaitSpan"/>: the buyer's
/// <see cref="SpikeTracing.StockWaitName"/> span when its request is traced (its batch's span refers to it), else null.
/// </summary>
public sealed record Buy(string SaleId, ReserveItem Item, TaskCompletionSource<ItemOutcome> Completion, long CreatedAt, Activity? WaitSpan = null)
{
    public static Buy Create(string saleId, ReserveItem item, Activity? waitSpan = null) =>
        new(saleId, item, new TaskCompletionSource<ItemOutcome>(TaskCreationOptions.RunContinuationsAsynchronously), Environment.TickCount64, waitSpan);

    /// <summary>The buyer has its answer (or stopped waiting for one).</summary>
    public bool IsAnswered => Completion.Task.IsCompleted;
}

/// <param name="LeaseChunk">Allotment asked for at a time; a top-up is asked when a quarter is left.</param>
/// <param name="MaxBatchSize">Requests per batch message (also capped by <see cref="WireLimits"/>).</param>
/// <param name="MaxBatchesInFlight">Batches awaiting their outcome; requests arriving meanwhile form the next batch.</param>
/// <param name="MaxWaiting">Requests queued while allotment is being fetched; beyond it buyers get "busy".</param>
/// <param name="MaxWait">A buyer queued for allotment longer than this is told to retry (503).</param>
/// <param name="BatchTimeout">After this a batch's outcome is unknown: buyers are told to retry with their request id.</param>
/// <param name="FallbackAfter">
/// A batch the InventoryActor has not answered after this is run against the store directly, and the
/// node sells directly until the InventoryActor answers again (its node may have died).
/// </param>
/// <param name="LeaseTimeout">An unanswered lease request (or a failed read of a sold-out sale's reservations) is tried again after this.</param>
/// <param name="UnknownSaleTtl">How long "unknown sale" is answered by the front before the authority is asked again (a sale created meanwhile clears it).</param>
/// <param name="IdleTimeout">A StockActor that saw nothing for this long stops (its lease is then reclaimed).</param>
public sealed record StockSettings(
    int LeaseChunk,
    int MaxBatchSize,
    int MaxBatchesInFlight,
    int MaxWaiting,
    TimeSpan MaxWait,
    TimeSpan BatchTimeout,
    TimeSpan FallbackAfter,
    TimeSpan LeaseTimeout,
    TimeSpan UnknownSaleTtl,
    TimeSpan IdleTimeout)
{
    public static readonly StockSettings Default = new(
        LeaseChunk: 512,
        MaxBatchSize: 512,
        MaxBatchesInFlight: 2,
        MaxWaiting: 10_000,
        MaxWait: TimeSpan.FromSeconds(5),
        BatchTimeout: TimeSpan.FromSeconds(5),
        FallbackAfter: TimeSpan.FromSeconds(1),
        LeaseTimeout: TimeSpan.FromSeconds(1),
        UnknownSaleTtl: TimeSpan.FromSeconds(1),
        IdleTimeout: TimeSpan.FromMinutes(5));
}
