using Akka.Hosting;
using Microsoft.Extensions.Options;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>The buy endpoint: validates, hands the request to this node's StockActor and maps its outcome.</summary>
public static class BuyApi
{
    /// <summary>Set by the nginx front (value "proxy") when the requestId is its own, not the client's.</summary>
    public const string RequestIdOriginHeader = "X-Spike-Request-Id-Origin";

    private static readonly HashSet<string> QueryFields = new(["sale", "user", "quantity", "requestId"], StringComparer.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapBuyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/buy");
        group.MapGet("/ticket", BuyFromQuery);
        group.MapPost("/ticket", BuyFromBody);
        return app;
    }

    private static Task<IResult> BuyFromQuery(HttpContext context, IRequiredActor<StockManager> stock, SoldOutBoard board, IOptions<SpikeOptions> options)
    {
        var query = context.Request.Query;
        foreach (var key in query.Keys)
        {
            if (!QueryFields.Contains(key))
            {
                return Task.FromResult<IResult>(ApiResults.Invalid(key, "is not a known field (sale, user, quantity, requestId)"));
            }
            if (query[key].Count > 1)
            {
                // The values would be joined with commas into one id.
                return Task.FromResult<IResult>(ApiResults.Invalid(key, "must be given once"));
            }
        }
        int? quantity = null;
        if (query.TryGetValue("quantity", out var rawQuantity))
        {
            if (!int.TryParse(rawQuantity, out var parsed))
            {
                return Task.FromResult<IResult>(ApiResults.Invalid("quantity", "must be a positive integer"));
            }
            quantity = parsed;
        }
        var body = new BuyBody(query["sale"], query["user"], quantity, query["requestId"]);
        return BuyAsync(body, context, stock.ActorRef, board, options.Value);
    }

    private static async Task<IResult> BuyFromBody(HttpContext context, IRequiredActor<StockManager> stock, SoldOutBoard board, IOptions<SpikeOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.BuyBody, context.RequestAborted);
        return error ?? await BuyAsync(body!, context, stock.ActorRef, board, options.Value);
    }

    private static async Task<IResult> BuyAsync(BuyBody body, HttpContext context, Akka.Actor.IActorRef stock, SoldOutBoard board, SpikeOptions options)
    {
        var sale = body.Sale ?? options.DefaultSale;
        var quantity = body.Quantity ?? 1;
        var invalid =
            ApiResults.Check("sale", RequestRules.CheckSaleId(sale))
            ?? ApiResults.Check("user", RequestRules.CheckId(body.User, required: true))
            ?? ApiResults.Check("quantity", RequestRules.CheckQuantity(quantity))
            ?? ApiResults.Check("requestId", body.RequestId is null ? null : RequestRules.CheckId(body.RequestId, required: false));
        if (invalid is not null)
        {
            return invalid;
        }

        // Only a client that chose its request id can be retrying an earlier purchase.
        var mayBeRetry = body.RequestId is not null && context.Request.Headers[RequestIdOriginHeader] != "proxy";
        if (!mayBeRetry && board.IsSoldOut(sale!))
        {
            return ApiResults.SoldOut; // invariant 6: a first attempt after sell-out touches no actor, network or Redis
        }

        var requestId = body.RequestId ?? Guid.NewGuid().ToString("N");
        var buy = Buy.Create(sale!, new ReserveItem(requestId, body.User!, quantity), mayBeRetry);
        stock.Tell(buy, Akka.Actor.ActorRefs.NoSender);
        ItemOutcome outcome;
        try
        {
            // One deadline for the whole request: the actor's own ones (wait for allotment, then a
            // batch timeout) can add up past it, and nginx's read timeout counts on this one.
            outcome = await buy.Completion.Task.WaitAsync(options.Buy.RequestTimeout, context.RequestAborted);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Whatever the actor does later, this buyer is answered "unknown": the retry resolves it.
            buy.Completion.TrySetCanceled(CancellationToken.None);
            outcome = buy.Completion.Task.IsCompletedSuccessfully ? buy.Completion.Task.Result : ItemOutcome.Unavailable;
        }

        return outcome.Status switch
        {
            ReserveStatus.Reserved => TypedResults.Json(
                new ReservedResponse("reserved", outcome.OrderId!, sale!, body.User!, quantity, DateTimeOffset.FromUnixTimeMilliseconds(outcome.PayByUnixMs)),
                ApiJsonContext.Default.ReservedResponse),
            ReserveStatus.SoldOut => ApiResults.SoldOut,
            ReserveStatus.LimitReached => ApiResults.LimitReached,
            ReserveStatus.UnknownSale => ApiResults.UnknownSale,
            ReserveStatus.QuantityAboveLimit => ApiResults.Invalid("quantity", "is above the sale's per-user limit"),
            ReserveStatus.Busy => ApiResults.RetryLater(context, StatusCodes.Status429TooManyRequests, new StatusResponse("busy", requestId, "too many buyers waiting; retry shortly")),
            _ => ApiResults.RetryLater(context, StatusCodes.Status503ServiceUnavailable, new StatusResponse("unavailable", requestId, "outcome unknown or store down; retry with the same requestId")),
        };
    }
}
