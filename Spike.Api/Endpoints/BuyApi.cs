using Akka.Hosting;
using Microsoft.Extensions.Options;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>The buy endpoint: validates, hands the request to this node's StockActor and maps its outcome.</summary>
public static class BuyApi
{
    private static readonly HashSet<string> QueryFields = new(["sale", "user", "quantity", "requestId"], StringComparer.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapBuyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/buy");
        group.MapGet("/ticket", BuyFromQuery);
        group.MapPost("/ticket", BuyFromBody);
        return app;
    }

    private static Task<IResult> BuyFromQuery(HttpContext context, IRequiredActor<StockManager> stock, SaleBoard board, IOptions<SpikeOptions> options)
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

    private static async Task<IResult> BuyFromBody(HttpContext context, IRequiredActor<StockManager> stock, SaleBoard board, IOptions<SpikeOptions> options)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.BuyBody, context.RequestAborted);
        return error ?? await BuyAsync(body!, context, stock.ActorRef, board, options.Value);
    }

    private static async Task<IResult> BuyAsync(BuyBody body, HttpContext context, Akka.Actor.IActorRef stock, SaleBoard board, SpikeOptions options)
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

        // A sold-out sale (with its reservations, for a reserved buyer's retry) or an id known not to be a
        // sale is answered here: no actor, network or Redis (invariant 6).
        var requestId = body.RequestId;
        if (!board.TryAnswer(sale!, body.User!, requestId, out var outcome))
        {
            requestId ??= Guid.NewGuid().ToString("N");
            outcome = await AskStockAsync(stock, new ReserveItem(requestId, body.User!, quantity), sale!, context, options);
        }

        return outcome.Status switch
        {
            ReserveStatus.Reserved => TypedResults.Json(
                new ReservedResponse("reserved", outcome.OrderId!, sale!, body.User!, outcome.Quantity, DateTimeOffset.FromUnixTimeMilliseconds(outcome.PayByUnixMs)),
                ApiJsonContext.Default.ReservedResponse),
            ReserveStatus.SoldOut => ApiResults.SoldOut,
            ReserveStatus.NotEnoughLeft => TypedResults.Json(
                new StatusResponse("not_enough_left", Detail: $"only {outcome.Remaining} {(outcome.Remaining == 1 ? "ticket is" : "tickets are")} left; ask for fewer", Available: outcome.Remaining),
                ApiJsonContext.Default.StatusResponse, statusCode: StatusCodes.Status409Conflict),
            ReserveStatus.LimitReached => ApiResults.LimitReached,
            ReserveStatus.UnknownSale => ApiResults.UnknownSale,
            ReserveStatus.QuantityAboveLimit => ApiResults.Invalid("quantity", "is above the sale's per-user limit"),
            ReserveStatus.Busy => ApiResults.RetryLater(context, StatusCodes.Status429TooManyRequests, new StatusResponse("busy", requestId, "too many buyers waiting; retry shortly")),
            _ => ApiResults.RetryLater(context, StatusCodes.Status503ServiceUnavailable, new StatusResponse("unavailable", requestId, "outcome unknown or store down; retry with the same requestId")),
        };
    }

    /// <summary>Hands the request to this node's StockActor and waits for its outcome, within the request's one deadline.</summary>
    private static async Task<ItemOutcome> AskStockAsync(Akka.Actor.IActorRef stock, ReserveItem item, string sale, HttpContext context, SpikeOptions options)
    {
        var timeout = options.Buy.RequestTimeout;
        var buy = Buy.Create(sale, item with { DeadlineUnixMs = DateTimeOffset.UtcNow.Add(timeout).ToUnixTimeMilliseconds() });
        stock.Tell(buy, Akka.Actor.ActorRefs.NoSender);
        try
        {
            // One deadline for the whole request: the actor's own ones (wait for allotment, then a
            // batch timeout) can add up past it, and nginx's read timeout counts on this one.
            return await buy.Completion.Task.WaitAsync(timeout, context.RequestAborted);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Whatever the actor does later, this buyer is answered "unknown": the retry resolves it.
            buy.Completion.TrySetCanceled(CancellationToken.None);
            return buy.Completion.Task.IsCompletedSuccessfully ? buy.Completion.Task.Result : ItemOutcome.Unavailable;
        }
    }
}
