namespace Spike.Actors.Orders;

/// <summary>
/// An order's state and rules, pure: <see cref="Decide"/> says which event a command calls for and what to answer,
/// <see cref="Apply"/> moves the state on. The OrderActor settles a paid, cancelled or expired event in Redis
/// first, and Redis, not this state, decides a race between a payment and the deadline.
/// </summary>
public sealed class Order
{
    private OrderView? _view;

    /// <summary>Null until created.</summary>
    public OrderView? View => _view;

    public bool IsCreated => _view is not null;

    public bool IsOpen => _view is { State: OrderState.Reserved };

    /// <param name="Event">What the command calls for; null when nothing changes.</param>
    /// <param name="Reply">The answer once <paramref name="Event"/> (if any) is applied.</param>
    public sealed record Decision(IOrderEvent? Event, OrderReply Reply);

    public Decision Decide(IOrderCommand command, long nowUnixMs)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_view is not { } order)
        {
            if (command is CreateOrder create)
            {
                var created = new OrderCreated(create.OrderId, create.SaleId, create.UserId, create.Quantity, create.PayByUnixMs);
                return new(created, Answer(OrderReplyStatus.Ok, ViewOf(created)));
            }
            return new(null, new OrderReply(command.OrderId, OrderReplyStatus.UnknownOrder, null));
        }

        return command switch
        {
            CreateOrder or GetOrder => Unchanged(OrderReplyStatus.Ok),
            // A payment after the deadline is refused even before the timer has expired the order.
            PayOrder when order.State == OrderState.Reserved && nowUnixMs >= order.PayByUnixMs =>
                Move(new OrderExpired(order.OrderId), OrderState.Expired, OrderReplyStatus.AlreadyExpired),
            PayOrder => Transition(new OrderPaid(order.OrderId), OrderState.Paid),
            CancelOrder => Transition(new OrderCancelled(order.OrderId), OrderState.Cancelled),
            ExpireOrder when order.State == OrderState.Reserved && nowUnixMs < order.PayByUnixMs => Unchanged(OrderReplyStatus.Ok),
            ExpireOrder => Transition(new OrderExpired(order.OrderId), OrderState.Expired),
            _ => throw new ArgumentException($"Not an order command: {command.GetType().Name}", nameof(command)),
        };

        Decision Unchanged(OrderReplyStatus status) => new(null, Answer(status, order));

        Decision Move(IOrderEvent next, OrderState to, OrderReplyStatus status) => new(next, Answer(status, order with { State = to }));

        // From reserved: the event; in the wanted state already: the same answer again; else refused by the state it is in.
        Decision Transition(IOrderEvent next, OrderState to) =>
            order.State == OrderState.Reserved ? Move(next, to, OrderReplyStatus.Ok)
            : order.State == to ? Unchanged(OrderReplyStatus.Ok)
            : Unchanged(Refusal(order.State));
    }

    public void Apply(IOrderEvent orderEvent)
    {
        ArgumentNullException.ThrowIfNull(orderEvent);
        _view = orderEvent switch
        {
            OrderCreated created => _view ?? ViewOf(created),
            OrderPaid => Settled(OrderState.Paid),
            OrderCancelled => Settled(OrderState.Cancelled),
            OrderExpired => Settled(OrderState.Expired),
            _ => throw new ArgumentException($"Not an order event: {orderEvent.GetType().Name}", nameof(orderEvent)),
        };
    }

    /// <summary>The event that records a state Redis settled the order in.</summary>
    public static IOrderEvent EventFor(string orderId, OrderState settled) => settled switch
    {
        OrderState.Paid => new OrderPaid(orderId),
        OrderState.Cancelled => new OrderCancelled(orderId),
        OrderState.Expired => new OrderExpired(orderId),
        _ => throw new ArgumentOutOfRangeException(nameof(settled), settled, "not a settled state"),
    };

    /// <summary>The state a settling event leads to.</summary>
    public static OrderState StateAfter(IOrderEvent settling) => settling switch
    {
        OrderPaid => OrderState.Paid,
        OrderCancelled => OrderState.Cancelled,
        OrderExpired => OrderState.Expired,
        _ => throw new ArgumentException($"Not a settling event: {settling.GetType().Name}", nameof(settling)),
    };

    private OrderView Settled(OrderState state) =>
        _view is { State: OrderState.Reserved } open
            ? open with { State = state }
            : _view ?? throw new InvalidOperationException("An order is settled before it is created.");

    private static OrderView ViewOf(OrderCreated created) =>
        new(created.OrderId, created.SaleId, created.UserId, created.Quantity, created.PayByUnixMs, OrderState.Reserved);

    private static OrderReply Answer(OrderReplyStatus status, OrderView order) => new(order.OrderId, status, order);

    private static OrderReplyStatus Refusal(OrderState state) => state switch
    {
        OrderState.Paid => OrderReplyStatus.AlreadyPaid,
        OrderState.Cancelled => OrderReplyStatus.AlreadyCancelled,
        _ => OrderReplyStatus.AlreadyExpired,
    };
}
