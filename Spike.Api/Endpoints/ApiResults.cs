using Microsoft.AspNetCore.Http.HttpResults;

namespace Spike.Api.Endpoints;

/// <summary>The answers shared by the endpoints; fixed ones are built once.</summary>
public static class ApiResults
{
    public static readonly JsonAnswer<StatusResponse> SoldOut = Status("sold_out", StatusCodes.Status409Conflict);
    public static readonly JsonAnswer<StatusResponse> LimitReached = Status("limit_reached", StatusCodes.Status409Conflict);
    public static readonly JsonAnswer<StatusResponse> UnknownSale = Status("unknown_sale", StatusCodes.Status404NotFound);
    public static readonly JsonAnswer<StatusResponse> Unavailable = Status("unavailable", StatusCodes.Status503ServiceUnavailable);
    public static readonly JsonAnswer<StatusResponse> InvalidBuyerToken = Status("invalid_buyer_token", StatusCodes.Status401Unauthorized);
    public static readonly JsonAnswer<StatusResponse> Closed = Status("closed", StatusCodes.Status409Conflict);

    /// <summary>409 not_open with the instant the sale opens.</summary>
    public static JsonAnswer<StatusResponse> NotOpen(long opensAtUnixMs) =>
        JsonAnswer.Of(StatusCodes.Status409Conflict, new StatusResponse("not_open", OpensAt: DateTimeOffset.FromUnixTimeMilliseconds(opensAtUnixMs)), ApiJsonContext.Default.StatusResponse);

    /// <summary>400 problem+json naming the bad field.</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [$"{field} {message}"] },
            title: $"Invalid request: {field}");

    /// <summary>Null when <paramref name="error"/> is; lets rules chain with <c>??</c>.</summary>
    public static ValidationProblem? Check(string field, string? error) => error is null ? null : Invalid(field, error);

    /// <summary>429 or 503 with Retry-After (seconds): the client retries, with the same request id.</summary>
    public static JsonAnswer<StatusResponse> RetryLater(HttpContext context, int statusCode, StatusResponse response, int retryAfterSeconds = 1)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonAnswer.Of(statusCode, response, ApiJsonContext.Default.StatusResponse);
    }

    /// <summary>
    /// 429 "busy": the one answer for a buy refused by load, whether admission control refused it or the node's
    /// queue of buyers waiting for allotment is full. Nothing was tried; retry with the same request id.
    /// </summary>
    public static JsonAnswer<StatusResponse> Busy(HttpContext context, string? requestId, string detail, int retryAfterSeconds = 1) =>
        RetryLater(context, StatusCodes.Status429TooManyRequests, new StatusResponse("busy", requestId, detail), retryAfterSeconds);

    private static JsonAnswer<StatusResponse> Status(string status, int statusCode) =>
        JsonAnswer.Fixed(statusCode, new StatusResponse(status), ApiJsonContext.Default.StatusResponse);
}
