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

    public static IEndpointRouteBuilder MapOrderApi(this IEndpointRouteBuilder app)
    {
        // Resolved once, as the buy endpoint does: no dependency-injection scope per request.
        var orders = app.ServiceProvider.GetRequiredService<IRequiredActor<OrderRegion>>();
        var group = app.MapGroup("/orders");
        group.MapGet("/{id}", (string id, HttpContext context) => SendAsync(orders.ActorRef, id, new GetOrder(id), context));
        group.MapPost("/{id}/pay", (string id, HttpContext context) => SendAsync(orders.ActorRef, id, new PayOrder(id), context));
        group.MapPost("/{id}/cancel", (string id, HttpContext context) => SendAsync(orders.ActorRef, id, new CancelOrder(id), context));
        return app;
    }

    private static async Task<IResult> SendAsync(IActorRef orders, string id, IOrderCommand command, HttpContext context)
    {
        if (ApiResults.Check("id", RequestRules.CheckOrderId(id)) is { } invalid)
        {
            return invalid;
        }
        OrderReply reply;
        try
        {
            reply = await orders.Ask<OrderReply>(command, AskTimeout, context.RequestAborted);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            return Unavailable(context);
        }
        return reply.Status switch
        {
            OrderReplyStatus.Ok => JsonAnswer.Of(StatusCodes.Status200OK, ToResponse(reply.Order!), ApiJsonContext.Default.OrderResponse),
            OrderReplyStatus.UnknownOrder => UnknownOrder,
            OrderReplyStatus.AlreadyPaid => AlreadyPaid,
            OrderReplyStatus.AlreadyCancelled => AlreadyCancelled,
            OrderReplyStatus.AlreadyExpired => AlreadyExpired,
            _ => Unavailable(context),
        };
    }

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
