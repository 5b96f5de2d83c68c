using Akka.Actor;

namespace Spike.Actors.Inventory;

// The protocol of the sharded InventoryActor: one entity per sale in the whole cluster.

/// <summary>One buyer's request as the authority sees it.</summary>
public sealed record ReserveItem(string RequestId, string UserId, int Quantity);

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
}

public sealed record ItemOutcome(ReserveStatus Status, string? OrderId = null, long PayByUnixMs = 0)
{
    public static readonly ItemOutcome SoldOut = new(ReserveStatus.SoldOut);
    public static readonly ItemOutcome LimitReached = new(ReserveStatus.LimitReached);
    public static readonly ItemOutcome UnknownSale = new(ReserveStatus.UnknownSale);
    public static readonly ItemOutcome Unavailable = new(ReserveStatus.Unavailable);
    public static readonly ItemOutcome QuantityAboveLimit = new(ReserveStatus.QuantityAboveLimit);
    public static readonly ItemOutcome Busy = new(ReserveStatus.Busy);

    public static ItemOutcome Reserved(string orderId, long payByUnixMs) => new(ReserveStatus.Reserved, orderId, payByUnixMs);
}

public sealed record SaleSettings(long Stock, int PerUserLimit, int PaymentWindowSeconds);

/// <summary>A sale as Redis holds it; held = reserved + paid.</summary>
public sealed record SaleSnapshot(string Id, long Total, long Held, long Available, int PerUserLimit, int PaymentWindowSeconds);

/// <summary>A node's batch of requests; one Lua call runs it (merged with others in flight).</summary>
public sealed record ReserveBatch(string SaleId, long BatchId, IReadOnlyList<ReserveItem> Items, IActorRef ReplyTo) : ISaleMessage;

/// <summary>
/// Retries (requests with the client's own request id) that reached a node after sell-out: answered with
/// each request's first outcome, or sold out when it never reached Redis. Deducts nothing.
/// </summary>
public sealed record ResolveBatch(string SaleId, long BatchId, IReadOnlyList<ReserveItem> Items, IActorRef ReplyTo) : ISaleMessage;

/// <summary>Outcomes of a <see cref="ReserveBatch"/> or <see cref="ResolveBatch"/>, in the order of its items.</summary>
public sealed record BatchReserved(string SaleId, long BatchId, IReadOnlyList<ItemOutcome> Outcomes) : ISaleMessage;

/// <summary>
/// A node's StockActor asks for (more) allotment; answered when some can be granted. <paramref name="Starving"/>:
/// buyers are waiting on it (not just a top-up), so other nodes are asked to release what they do not use.
/// </summary>
public sealed record AcquireLease(string SaleId, int Wanted, IActorRef Holder, bool Starving) : ISaleMessage;

/// <summary>Allotment granted to a node, with the terms its StockActor checks locally.</summary>
public sealed record LeaseGranted(string SaleId, int Granted, int PerUserLimit, bool SoldOut) : ISaleMessage;

/// <summary>The sale does not exist (no key in Redis): never "0 left".</summary>
public sealed record SaleUnknown(string SaleId) : ISaleMessage;

/// <summary>The authority cannot be reached: the node fails closed.</summary>
public sealed record LeaseUnavailable(string SaleId) : ISaleMessage;

/// <summary>Another node needs allotment: give back what is not in flight.</summary>
public sealed record ReleaseLease(string SaleId) : ISaleMessage;

/// <summary>A node gives unused allotment back.</summary>
public sealed record LeaseReturned(string SaleId, int Amount, IActorRef Holder) : ISaleMessage;

/// <summary>The node's lease expired or was reclaimed: its allotment is gone.</summary>
public sealed record LeaseRevoked(string SaleId) : ISaleMessage;

/// <summary>Broadcast on distributed pub-sub whenever a sale sells out or gets stock back.</summary>
public sealed record SaleStatusChanged(string SaleId, bool SoldOut) : ISaleMessage
{
    public const string Topic = "spike-sale-status";
}

/// <summary>An admin command, answered with a <see cref="SaleCommandResult"/>.</summary>
public interface ISaleCommand : ISaleMessage;

/// <summary>Create a sale or replace its settings (keeps what is already held).</summary>
public sealed record ConfigureSale(string SaleId, SaleSettings Settings) : ISaleCommand;

/// <summary>
/// Put more tickets on sale. <paramref name="OperationId"/>: the client's id for this addition; a repeat
/// with it adds nothing and answers the first outcome.
/// </summary>
public sealed record AddStock(string SaleId, long Amount, string? OperationId = null) : ISaleCommand;

public enum SaleCommandStatus : byte
{
    Created = 1,
    Updated = 2,
    UnknownSale = 3,
    /// <summary>The new total would be below what is already held, or above <see cref="SaleLimits.MaxTotal"/>.</summary>
    Conflict = 4,
    Unavailable = 5,
}

/// <summary>Reply to <see cref="ConfigureSale"/> and <see cref="AddStock"/>.</summary>
public sealed record SaleCommandResult(string SaleId, SaleCommandStatus Status, SaleSnapshot? Sale) : ISaleMessage;
