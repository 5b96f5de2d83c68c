using System.Diagnostics;
using Akka.Actor;

namespace Spike.Actors.Inventory;

// The protocol of the sharded InventoryActor: one entity per sale in the whole cluster.

/// <summary>
/// One buyer's request as the authority sees it. <paramref name="DeadlineUnixMs"/>: when the buyer stops
/// waiting (wall clock, unix ms; 0 = none); a request still queued at its deadline is not run, so a buyer
/// already told "unknown, retry" is not deducted later. Nodes' clocks must agree (NTP) to this precision.
/// </summary>
public sealed record ReserveItem(string RequestId, string UserId, int Quantity, long DeadlineUnixMs = 0);

public enum ReserveStatus : byte
{
    Reserved = 1,
    SoldOut = 2,
    LimitReached = 3,
    UnknownSale = 4,
    /// <summary>The store is down or the outcome is unknown: retry with the same request id.</summary>
    Unavailable = 5,
    /// <summary>Refused before reaching the authority: quantity above the per-user limit.</summary>
    QuantityAboveLimit = 6,
    /// <summary>Refused before reaching the authority: the node is overloaded.</summary>
    Busy = 7,
    /// <summary>Fewer tickets are left than the buyer asked for (but some are).</summary>
    NotEnoughLeft = 8,
    /// <summary>The sale has not opened yet (<see cref="ItemOutcome.OpensAtUnixMs"/> says when it does).</summary>
    NotOpen = 9,
    /// <summary>The sale has closed.</summary>
    Closed = 10,
}

/// <param name="Quantity">Reserved: the quantity the reservation holds (the stored one, whatever a retry asks).</param>
/// <param name="Remaining">NotEnoughLeft: the tickets that were left when the buyer was refused.</param>
/// <param name="OpensAtUnixMs">NotOpen: when the sale opens.</param>
public sealed record ItemOutcome(ReserveStatus Status, string? OrderId = null, long PayByUnixMs = 0, int Quantity = 0, long Remaining = 0, long OpensAtUnixMs = 0)
{
    public static readonly ItemOutcome SoldOut = new(ReserveStatus.SoldOut);
    public static readonly ItemOutcome LimitReached = new(ReserveStatus.LimitReached);
    public static readonly ItemOutcome UnknownSale = new(ReserveStatus.UnknownSale);
    public static readonly ItemOutcome Unavailable = new(ReserveStatus.Unavailable);
    public static readonly ItemOutcome QuantityAboveLimit = new(ReserveStatus.QuantityAboveLimit);
    public static readonly ItemOutcome Busy = new(ReserveStatus.Busy);
    public static readonly ItemOutcome Closed = new(ReserveStatus.Closed);

    public static ItemOutcome NotOpen(long opensAtUnixMs) => new(ReserveStatus.NotOpen, OpensAtUnixMs: opensAtUnixMs);

    public static ItemOutcome Reserved(string orderId, long payByUnixMs, int quantity) =>
        new(ReserveStatus.Reserved, orderId, payByUnixMs, quantity);

    /// <summary>Sold out when nothing is left, else "not enough left" with what is.</summary>
    public static ItemOutcome NotEnough(long remaining) =>
        remaining <= 0 ? SoldOut : new(ReserveStatus.NotEnoughLeft, Remaining: remaining);

    /// <summary>
    /// Whether the allotment a node spent on this request comes back to it. Reserved: sold. Sold out, not
    /// enough left, unknown sale: the authority has less than the lease said, so the lease was stale and
    /// that allotment is dropped. Anything else (limit reached, not run, not open or closed by Redis's clock):
    /// it goes back. Both the node and the InventoryActor's lease book apply this one rule, so their counts agree.
    /// </summary>
    public bool ReturnsAllotment => Status is ReserveStatus.LimitReached or ReserveStatus.Unavailable or ReserveStatus.NotOpen or ReserveStatus.Closed;
}

/// <param name="Schedule">When the sale opens and closes; default: open now, never closes.</param>
public sealed record SaleSettings(long Stock, int PerUserLimit, int PaymentWindowSeconds, SaleSchedule Schedule = default);

/// <summary>
/// A sale as Redis holds it; held = reserved + paid. <paramref name="ReservationSeq"/>: reservations ever
/// made (the order counter; 0 where the answer does not carry it).
/// </summary>
/// <param name="ReserveCalls">Reserve calls the store has run for the sale (each a batch of requests); read with the sale, 0 in a command's result.</param>
public sealed record SaleSnapshot(
    string Id, long Total, long Held, long Available, int PerUserLimit, int PaymentWindowSeconds, long ReservationSeq = 0, long ReserveCalls = 0,
    SaleSchedule Schedule = default)
{
    /// <summary>What the sale is at <paramref name="nowUnixMs"/>: closed or not open by its schedule, else sold out or open.</summary>
    public SaleState StateAt(long nowUnixMs) => Schedule.PhaseAt(nowUnixMs) switch
    {
        SalePhase.Closed => SaleState.Closed,
        SalePhase.NotOpen => SaleState.NotOpen,
        _ => Available <= 0 ? SaleState.SoldOut : SaleState.Open,
    };

    /// <summary>What the sale is now by <paramref name="clock"/>, a node's (Redis decides the buys by its own; NTP keeps them together).</summary>
    public SaleState StateNow(TimeProvider clock) => StateAt(clock.GetUtcNow().ToUnixTimeMilliseconds());
}

/// <summary>
/// What a node's StockActor holds of a sale, sent with every message it sends the InventoryActor, so the
/// lease book follows what the node really has instead of drifting. <paramref name="Incarnation"/>: random
/// per StockActor instance (a restart is a new one, with nothing). <paramref name="AckedSeq"/>: the last
/// <see cref="ILeaseStamped"/> message it applied. <paramref name="Allotment"/>: tickets it may still sell,
/// not counting those in batches it has sent.
/// </summary>
public sealed record HolderState(long Incarnation, long AckedSeq, int Allotment);

/// <summary>A message from the InventoryActor to one StockActor incarnation that may change its allotment, numbered per holder.</summary>
public interface ILeaseStamped : ISaleMessage
{
    long Incarnation { get; }

    long Seq { get; }
}

/// <summary>
/// A node's batch of requests; one Lua call runs it (merged with others in flight). <paramref name="Trace"/>: the
/// sender's batch span (W3C trace context) when some of its buyers are traced, so the InventoryActor's span joins
/// their trace on whichever node hosts the sale; default (and no bytes on the wire) otherwise.
/// </summary>
public sealed record ReserveBatch(string SaleId, long BatchId, IReadOnlyList<ReserveItem> Items, IActorRef ReplyTo, HolderState Holder, ActivityContext Trace = default) : ISaleMessage;

/// <summary>
/// Outcomes of a <see cref="ReserveBatch"/>, in the order of its items; the allotment of those that
/// <see cref="ItemOutcome.ReturnsAllotment"/> goes back to the node.
/// </summary>
public sealed record BatchReserved(string SaleId, long Incarnation, long Seq, long BatchId, IReadOnlyList<ItemOutcome> Outcomes) : ILeaseStamped;

/// <summary>
/// A node's StockActor asks for (more) allotment; answered when some can be granted, or at once when the
/// sale has fewer than <paramref name="Needed"/> left. <paramref name="Starving"/>: buyers are waiting on
/// it (not just a top-up), so other nodes are asked to release what they do not use.
/// <paramref name="Needed"/>: what the first waiting buyer asks for (1 for a top-up).
/// </summary>
public sealed record AcquireLease(string SaleId, int Wanted, int Needed, bool Starving, IActorRef Holder, HolderState State) : ISaleMessage;

/// <summary>
/// Allotment granted to a node (possibly none), with the terms its StockActor checks locally (the per-user
/// limit and the schedule) and the tickets the authority had left (<paramref name="Available"/> ≤ 0: sold out).
/// </summary>
public sealed record LeaseGranted(string SaleId, long Incarnation, long Seq, int Granted, int PerUserLimit, long Available, SaleSchedule Schedule = default) : ILeaseStamped
{
    public bool SoldOut => Available <= 0;
}

/// <summary>The sale does not exist (no key in Redis): never "0 left".</summary>
public sealed record SaleUnknown(string SaleId) : ISaleMessage;

/// <summary>The authority cannot be reached: the node fails closed.</summary>
public sealed record LeaseUnavailable(string SaleId) : ISaleMessage;

/// <summary>Another node needs allotment: give back what is not in flight (answered with <see cref="LeaseReturned"/> even when that is nothing).</summary>
public sealed record ReleaseLease(string SaleId) : ISaleMessage;

/// <summary>A node gave unused allotment back; <paramref name="State"/> is what it holds afterwards.</summary>
public sealed record LeaseReturned(string SaleId, IActorRef Holder, HolderState State) : ISaleMessage;

/// <summary>
/// The node's lease was reclaimed (its holder sent nothing for a while): its allotment is gone. Not activity, so the
/// idle StockActor it goes to still stops when its idle timeout comes.
/// </summary>
public sealed record LeaseRevoked(string SaleId, long Incarnation, long Seq) : ILeaseStamped, INotInfluenceReceiveTimeout;

/// <summary>
/// Broadcast on distributed pub-sub whenever a sale's state changes (sold out, back in stock, created, new
/// terms or schedule), and again periodically (pub-sub is at-most-once). <paramref name="ReservationSeq"/> lets a
/// node tell whether the reservations it keeps for a sold-out sale are still complete. Not activity: a node's idle
/// StockActor stops although the periodic status keeps coming.
/// </summary>
public sealed record SaleStatusChanged(string SaleId, bool SoldOut, int PerUserLimit, long ReservationSeq, SaleSchedule Schedule = default) : ISaleMessage, INotInfluenceReceiveTimeout
{
    public const string Topic = "spike-sale-status";
}

/// <summary>
/// The sale was deleted: published on <see cref="SaleStatusChanged.Topic"/>, so every node that serves it forgets it
/// (its StockActor stops, its board entry goes).
/// </summary>
public sealed record SaleDeleted(string SaleId) : ISaleMessage;

/// <summary>
/// An order gave tickets back to the sale (cancelled or expired): the InventoryActor reads the sale again and
/// publishes its status, so a sold-out sale sells again.
/// </summary>
public sealed record StockReleased(string SaleId) : ISaleMessage;

/// <summary>An admin command, answered with a <see cref="SaleCommandResult"/>.</summary>
public interface ISaleCommand : ISaleMessage;

/// <summary>Create a sale or replace its settings (keeps what is already held).</summary>
public sealed record ConfigureSale(string SaleId, SaleSettings Settings) : ISaleCommand;

/// <summary>
/// Put more tickets on sale. <paramref name="OperationId"/>: the client's id for this addition; a repeat
/// with it adds nothing and answers the first outcome.
/// </summary>
public sealed record AddStock(string SaleId, long Amount, string? OperationId = null) : ISaleCommand;

/// <summary>Closes the sale now, by the store's clock (an earlier closing stays); answered with the sale.</summary>
public sealed record CloseSale(string SaleId) : ISaleCommand;

/// <summary>
/// Deletes a finished sale (closed or sold out, every order settled) and everything stored for it; refused with
/// <see cref="SaleCommandStatus.StillSelling"/> or <see cref="SaleCommandStatus.OrdersOpen"/> otherwise.
/// </summary>
public sealed record DeleteSale(string SaleId) : ISaleCommand;

public enum SaleCommandStatus : byte
{
    Created = 1,
    Updated = 2,
    UnknownSale = 3,
    /// <summary>The new total would be below what is already held, or above <see cref="SaleLimits.MaxTotal"/>.</summary>
    Conflict = 4,
    Unavailable = 5,
    Deleted = 6,
    /// <summary>Not deleted: the sale is neither closed nor sold out.</summary>
    StillSelling = 7,
    /// <summary>Not deleted: some of its orders are neither paid, cancelled nor expired.</summary>
    OrdersOpen = 8,
}

/// <summary>Reply to every <see cref="ISaleCommand"/>; <paramref name="Sale"/>: the sale afterwards (before, for a deletion).</summary>
public sealed record SaleCommandResult(string SaleId, SaleCommandStatus Status, SaleSnapshot? Sale) : ISaleMessage;
