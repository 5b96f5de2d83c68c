using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Options;
using Spike.Actors;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Api.Admission;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>
/// The buy endpoint: validates, answers what the node already knows, admits the rest, hands it to this node's
/// StockActor and maps its outcome.
/// </summary>
public static class BuyApi
{
    public static IEndpointRouteBuilder MapBuyApi(this IEndpointRouteBuilder app)
    {
        // Resolved once: a handler parameter from services would open a dependency-injection scope per request.
        var services = app.ServiceProvider;
        var options = services.GetRequiredService<IOptions<SpikeOptions>>().Value;
        var buyers = new Buyers(
            services.GetRequiredService<IRequiredActor<StockManager>>(),
            services.GetRequiredService<SaleBoard>(),
            options,
            BuyerToken.Required(options.Buyers),
            services.GetRequiredService<BuyAdmission>(),
            services.GetRequiredService<BuyTally>());
        var group = app.MapGroup("/buy");
        Describe(group.MapGet("/ticket", buyers.FromQueryAsync));
        Describe(group.MapPost("/ticket", buyers.FromBodyAsync).Accepts<BuyBody>("application/json"));
        return app;
    }

    private static void Describe(RouteHandlerBuilder endpoint) => endpoint
        .Produces<ReservedResponse>(StatusCodes.Status200OK)
        .ProducesValidationProblem()
        .ProducesStatus(
            StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
            StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

    /// <param name="buyerToken">Null when buys need no buyer token.</param>
    /// <param name="admission">Admits the buys that go on to the StockActor.</param>
    /// <param name="tally">Counts every outcome the node answers (the dashboard's rates and p99 of this node).</param>
    private sealed class Buyers(IRequiredActor<StockManager> stock, SaleBoard board, SpikeOptions options, BuyerToken? buyerToken, BuyAdmission admission, BuyTally tally)
    {
        public ValueTask<IResult> FromQueryAsync(HttpContext context)
        {
            var started = Stopwatch.GetTimestamp();
            var query = BuyQuery.Parse(context.Request.QueryString.Value);
            return query.Body is { } body
                ? BuyAsync(body, context, started)
                : ValueTask.FromResult(WithoutSale(ApiResults.Invalid(query.Field!, query.Error!), SpikeMetrics.InvalidStatus, started));
        }

        public async ValueTask<IResult> FromBodyAsync(HttpContext context)
        {
            var started = Stopwatch.GetTimestamp();
            var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.BuyBody, context.RequestAborted);
            return error is null ? await BuyAsync(body!, context, started) : WithoutSale(error, SpikeMetrics.InvalidStatus, started);
        }

        /// <param name="started">When the request's handling began (<see cref="Stopwatch.GetTimestamp"/>), for the buy duration.</param>
        private ValueTask<IResult> BuyAsync(BuyBody body, HttpContext context, long started)
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
                return ValueTask.FromResult(WithoutSale(invalid, SpikeMetrics.InvalidStatus, started));
            }
            if (buyerToken is not null && !buyerToken.IsValid(body.User!, context.Request.Headers[BuyerToken.Header], DateTimeOffset.UtcNow))
            {
                return ValueTask.FromResult(WithoutSale(ApiResults.InvalidBuyerToken, SpikeMetrics.InvalidBuyerTokenStatus, started));
            }

            // A sale not open yet or closed, a sale that is over (with its reservations, for a reserved buyer's
            // retry) or an id known not to be a sale is answered here: no actor, network or Redis, and no admission,
            // which would cost more than the answer.
            if (board.TryAnswer(sale!, body.User!, body.RequestId, out var outcome))
            {
                return ValueTask.FromResult(Tallied(outcome, sale!, body.User!, body.RequestId, context, started));
            }
            var admitted = admission.AdmitAsync(context, body.User!, context.RequestAborted);
            return admitted.IsCompletedSuccessfully
                ? RunAdmittedAsync(admitted.Result, body, sale!, quantity, context, started)
                : AwaitAdmissionAsync(admitted, body, sale!, quantity, context, started);
        }

        private async ValueTask<IResult> AwaitAdmissionAsync(ValueTask<AdmissionDecision> admitted, BuyBody body, string sale, int quantity, HttpContext context, long started) =>
            await RunAdmittedAsync(await admitted, body, sale, quantity, context, started);

        /// <summary>Refused: 429 with Retry-After. Admitted: the StockActor's outcome, holding the permit until it is known.</summary>
        private ValueTask<IResult> RunAdmittedAsync(AdmissionDecision admission, BuyBody body, string sale, int quantity, HttpContext context, long started)
        {
            if (admission.Permit is not { } permit)
            {
                if (context.RequestAborted.IsCancellationRequested)
                {
                    return ValueTask.FromResult(Abandoned(started)); // it went away while queued for a permit
                }
                var retryAfter = admission.RetryAfterSeconds;
                var busy = ApiResults.Busy(context, body.RequestId, $"too many requests; retry after {retryAfter.ToString(CultureInfo.InvariantCulture)} s with the same requestId", retryAfter);
                tally.Count(ReserveStatus.Busy, Stopwatch.GetElapsedTime(started));
                return ValueTask.FromResult(WithoutSale(busy, SpikeMetrics.StatusName(ReserveStatus.Busy), started));
            }
            var deadline = DateTimeOffset.UtcNow.Add(options.Buy.RequestTimeout).ToUnixTimeMilliseconds();
            return AskStockAsync(new ReserveItem(body.RequestId ?? Guid.NewGuid().ToString("N"), body.User!, quantity, deadline), sale, permit, context, started);
        }

        /// <summary>
        /// Hands the request to this node's StockActor and waits for its outcome, within the request's one deadline
        /// (carried by the item); the admission <paramref name="permit"/> goes back once the outcome is known.
        /// </summary>
        private async ValueTask<IResult> AskStockAsync(ReserveItem item, string sale, IDisposable permit, HttpContext context, long started)
        {
            using var held = permit;
            var timeout = options.Buy.RequestTimeout;
            using var waitSpan = SpikeTracing.StartStockWait(sale);
            var buy = Buy.Create(sale, item, waitSpan);
            stock.ActorRef.Tell(buy, ActorRefs.NoSender);
            ItemOutcome outcome;
            try
            {
                // One deadline for the whole request: the actor's own ones (wait for allotment, then a
                // batch timeout) can add up past it, and nginx's read timeout counts on this one.
                outcome = await buy.Completion.Task.WaitAsync(timeout, context.RequestAborted);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // Whatever the actor does later, this buyer is answered "unknown": the retry resolves it.
                buy.Completion.TrySetCanceled(CancellationToken.None);
                if (!buy.Completion.Task.IsCompletedSuccessfully && context.RequestAborted.IsCancellationRequested)
                {
                    waitSpan?.SetTag(SpikeTracing.BuyStatusTag, SpikeMetrics.AbandonedStatus);
                    return Abandoned(started);
                }
                outcome = buy.Completion.Task.IsCompletedSuccessfully ? buy.Completion.Task.Result : ItemOutcome.Unavailable;
            }
            waitSpan?.SetTag(SpikeTracing.BuyStatusTag, SpikeMetrics.StatusName(outcome.Status));
            return Tallied(outcome, sale, item.UserId, item.RequestId, context, started);
        }

        private IResult Tallied(ItemOutcome outcome, string sale, string user, string? requestId, HttpContext context, long started)
        {
            tally.Count(outcome.Status, Stopwatch.GetElapsedTime(started));
            return Answer(outcome, sale, user, requestId, context, started);
        }
    }

    /// <summary>
    /// The buyer went away before its outcome was known: nobody reads an answer, and the node did not fail it. Counted
    /// without a sale, which may not exist.
    /// </summary>
    private static IResult Abandoned(long started) => WithoutSale(ApiResults.Unavailable, SpikeMetrics.AbandonedStatus, started);

    /// <summary>
    /// An answer counted without a sale tag: the buy was refused (invalid, bad buyer token, not admitted) or abandoned
    /// before its sale was known to exist, and the id is the caller's, which may be anything.
    /// </summary>
    private static IResult WithoutSale(IResult answer, string status, long started)
    {
        Count(new TagList { { SpikeMetrics.StatusTag, status } }, started);
        return answer;
    }

    private static IResult Answer(ItemOutcome outcome, string sale, string user, string? requestId, HttpContext context, long started)
    {
        // An unknown sale's id is the buyer's: as a tag value it would let anyone add time series.
        var tags = outcome.Status == ReserveStatus.UnknownSale
            ? new TagList { { SpikeMetrics.StatusTag, SpikeMetrics.StatusName(outcome.Status) } }
            : new TagList { { SpikeMetrics.StatusTag, SpikeMetrics.StatusName(outcome.Status) }, { SpikeMetrics.SaleTag, sale } };
        Count(tags, started);
        return AnswerOf(outcome, sale, user, requestId, context);
    }

    private static void Count(in TagList tags, long started)
    {
        SpikeMetrics.BuyOutcomes.Add(1, in tags);
        SpikeMetrics.BuyDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, in tags);
    }

    private static IResult AnswerOf(ItemOutcome outcome, string sale, string user, string? requestId, HttpContext context) =>
        outcome.Status switch
        {
            ReserveStatus.Reserved => JsonAnswer.Of(
                StatusCodes.Status200OK,
                new ReservedResponse("reserved", outcome.OrderId!, sale, user, outcome.Quantity, DateTimeOffset.FromUnixTimeMilliseconds(outcome.PayByUnixMs)),
                ApiJsonContext.Default.ReservedResponse),
            ReserveStatus.SoldOut => ApiResults.SoldOut,
            ReserveStatus.NotEnoughLeft => JsonAnswer.Of(
                StatusCodes.Status409Conflict,
                new StatusResponse("not_enough_left", Detail: $"only {outcome.Remaining} {(outcome.Remaining == 1 ? "ticket is" : "tickets are")} left; ask for fewer", Available: outcome.Remaining),
                ApiJsonContext.Default.StatusResponse),
            ReserveStatus.LimitReached => ApiResults.LimitReached,
            ReserveStatus.NotOpen => ApiResults.NotOpen(outcome.OpensAtUnixMs),
            ReserveStatus.Closed => ApiResults.Closed,
            ReserveStatus.UnknownSale => ApiResults.UnknownSale,
            ReserveStatus.QuantityAboveLimit => ApiResults.Invalid("quantity", "is above the sale's per-user limit"),
            ReserveStatus.Busy => ApiResults.Busy(context, requestId, "too many buyers waiting; retry shortly"),
            _ => ApiResults.RetryLater(context, StatusCodes.Status503ServiceUnavailable, new StatusResponse("unavailable", requestId, "outcome unknown or store down; retry with the same requestId")),
        };
}
