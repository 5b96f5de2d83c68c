using Akka.Actor;
using Akka.Hosting;
using Spike.Actors.Orders;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>
/// An order after its reservation: read it, pay it, cancel it. Each request goes to the order's OrderActor, which
/// is created from the reservation in Redis on its first request.
/// </summary>
public static class OrderApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    private static readonly JsonAnswer<StatusResponse> UnknownOrder = Fixed("unknown_order", StatusCodes.Status404NotFound, "no reservation has this order id");
    private static readonly JsonAnswer<StatusResponse> AlreadyPaid = Fixed("already_paid", StatusCodes.Status409Conflict, "the order is paid; it can no longer be cancelled");
    private static readonly JsonAnswer<StatusResponse> AlreadyCancelled = Fixed("already_cancelled", StatusCodes.Status409Conflict, "the order was cancelled and its tickets went back on sale");
    private static readonly JsonAnswer<StatusResponse> AlreadyExpired = Fixed("already_expired", StatusCodes.Status409Conflict, "the payment deadline passed and the tickets went back on sale");
    private static readonly JsonAnswer<StatusResponse> NotYourOrder = Fixed("not_your_order", StatusCodes.Status403Forbidden, "the order belongs to another user");

    public static IEndpointRouteBuilder MapOrderApi(this IEndpointRouteBuilder app)
    {
        // Resolved once, as the buy endpoint does: no dependency-injection scope per request.
        var orders = app.ServiceProvider.GetRequiredService<IRequiredActor<OrderRegion>>();
        var group = app.MapGroup("/orders");
        Describe(group.MapGet("/{id}", (string id, HttpContext context) => GetAsync(orders.ActorRef, id, context)));
        Describe(group.MapPost("/{id}/pay", (string id, HttpContext context) => ActAsync(orders.ActorRef, id, new PayOrder(id), context))
            .Accepts<OrderActionBody>("application/json"));
        Describe(group.MapPost("/{id}/cancel", (string id, HttpContext context) => ActAsync(orders.ActorRef, id, new CancelOrder(id), context))
            .Accepts<OrderActionBody>("application/json"));
        return app;
    }

    private static void Describe(RouteHandlerBuilder endpoint) => endpoint
        .Produces<OrderResponse>(StatusCodes.Status200OK)
        .ProducesValidationProblem()
        .ProducesStatus(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> GetAsync(IActorRef orders, string id, HttpContext context) =>
        ApiResults.Check("id", RequestRules.CheckOrderId(id)) ?? Answer(await AskAsync(orders, new GetOrder(id), context), context);

    /// <summary>
    /// Pays or cancels for the buyer named in the body, who must be the order's. An order's owner never
    /// changes, so reading it first and acting second cannot race.
    /// </summary>
    private static async Task<IResult> ActAsync(IActorRef orders, string id, IOrderCommand command, HttpContext context)
    {
        if (ApiResults.Check("id", RequestRules.CheckOrderId(id)) is { } invalidId)
        {
            return invalidId;
        }
        var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.OrderActionBody, context.RequestAborted);
        if ((error ?? ApiResults.Check("user", RequestRules.CheckId(body!.User, required: true))) is { } invalid)
        {
            return invalid;
        }
        var current = await AskAsync(orders, new GetOrder(id), context);
        if (current is not { Status: OrderReplyStatus.Ok, Order: { } order })
        {
            return Answer(current, context);
        }
        return order.UserId == body!.User ? Answer(await AskAsync(orders, command, context), context) : NotYourOrder;
    }

    /// <summary>The order's answer, or null when none came in time.</summary>
    private static async Task<OrderReply?> AskAsync(IActorRef orders, IOrderCommand command, HttpContext context)
    {
        try
        {
            return await orders.Ask<OrderReply>(command, AskTimeout, context.RequestAborted);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            return null;
        }
    }

    private static IResult Answer(OrderReply? reply, HttpContext context) =>
        reply?.Status switch
        {
            OrderReplyStatus.Ok => JsonAnswer.Of(StatusCodes.Status200OK, ToResponse(reply!.Order!), ApiJsonContext.Default.OrderResponse),
            OrderReplyStatus.UnknownOrder => UnknownOrder,
            OrderReplyStatus.AlreadyPaid => AlreadyPaid,
            OrderReplyStatus.AlreadyCancelled => AlreadyCancelled,
            OrderReplyStatus.AlreadyExpired => AlreadyExpired,
            _ => Unavailable(context),
        };

    /// <summary>Every order request is safe to repeat: a payment or cancellation happens once.</summary>
    private static JsonAnswer<StatusResponse> Unavailable(HttpContext context) =>
        ApiResults.RetryLater(context, StatusCodes.Status503ServiceUnavailable, new StatusResponse("unavailable", Detail: "outcome unknown or store down; retry: an order is paid or cancelled at most once"));

    private static OrderResponse ToResponse(OrderView order) => new(
        order.OrderId, order.SaleId, order.UserId, order.Quantity, StateName(order.State), DateTimeOffset.FromUnixTimeMilliseconds(order.PayByUnixMs));

    private static string StateName(OrderState state) => state switch
    {
        OrderState.Reserved => "reserved",
        OrderState.Paid => "paid",
        OrderState.Cancelled => "cancelled",
        OrderState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    private static JsonAnswer<StatusResponse> Fixed(string status, int statusCode, string detail) =>
        JsonAnswer.Fixed(statusCode, new StatusResponse(status, Detail: detail), ApiJsonContext.Default.StatusResponse);
}
