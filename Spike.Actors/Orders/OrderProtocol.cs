namespace Spike.Actors.Orders;

// The protocol of the sharded OrderActor: one persistent entity per order (reservation) in the whole cluster.

/// <summary>A message for one order; the order shard extractor binds to this.</summary>
public interface IOrderMessage : ISpikeMessage
{
    string OrderId { get; }
}

/// <summary>A request to an order, answered with an <see cref="OrderReply"/>.</summary>
public interface IOrderCommand : IOrderMessage;

/// <summary>What the order journal holds.</summary>
public interface IOrderEvent : IOrderMessage;

/// <summary>
/// Start tracking a reservation as an order. A repeat (or one for an order that exists) changes nothing and
/// answers the order as it is.
/// </summary>
public sealed record CreateOrder(string OrderId, string SaleId, string UserId, int Quantity, long PayByUnixMs) : IOrderCommand;

public sealed record PayOrder(string OrderId) : IOrderCommand;

public sealed record CancelOrder(string OrderId) : IOrderCommand;

/// <summary>The payment deadline has passed: release the tickets unless the order was paid.</summary>
public sealed record ExpireOrder(string OrderId) : IOrderCommand;

public sealed record GetOrder(string OrderId) : IOrderCommand;

public sealed record OrderCreated(string OrderId, string SaleId, string UserId, int Quantity, long PayByUnixMs) : IOrderEvent;

public sealed record OrderPaid(string OrderId) : IOrderEvent;

public sealed record OrderCancelled(string OrderId) : IOrderEvent;

public sealed record OrderExpired(string OrderId) : IOrderEvent;

public enum OrderState : byte
{
    /// <summary>Tickets held, waiting for payment until the deadline.</summary>
    Reserved = 1,
    Paid = 2,
    /// <summary>Tickets given back by the buyer.</summary>
    Cancelled = 3,
    /// <summary>Tickets given back because the deadline passed unpaid.</summary>
    Expired = 4,
}

public enum OrderReplyStatus : byte
{
    /// <summary>Done, or had already been done: the order is in the state the command asked for.</summary>
    Ok = 1,
    /// <summary>No reservation has this order id.</summary>
    UnknownOrder = 2,
    /// <summary>Refused: the order is already paid.</summary>
    AlreadyPaid = 3,
    /// <summary>Refused: the order is already cancelled.</summary>
    AlreadyCancelled = 4,
    /// <summary>Refused: the payment deadline passed first.</summary>
    AlreadyExpired = 5,
    /// <summary>The store could not be reached; the outcome is unknown and a retry is safe.</summary>
    Unavailable = 6,
}

public sealed record OrderView(string OrderId, string SaleId, string UserId, int Quantity, long PayByUnixMs, OrderState State);

/// <summary>Every command's answer; <paramref name="Order"/> is the order after the command (null when unknown or unavailable).</summary>
public sealed record OrderReply(string OrderId, OrderReplyStatus Status, OrderView? Order) : IOrderMessage;
