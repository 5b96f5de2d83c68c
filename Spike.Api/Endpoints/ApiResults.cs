using Microsoft.AspNetCore.Http.HttpResults;

namespace Spike.Api.Endpoints;

/// <summary>The answers shared by the endpoints; fixed ones are built once.</summary>
public static class ApiResults
{
    public static readonly JsonHttpResult<StatusResponse> SoldOut = Status("sold_out", StatusCodes.Status409Conflict);
    public static readonly JsonHttpResult<StatusResponse> LimitReached = Status("limit_reached", StatusCodes.Status409Conflict);
    public static readonly JsonHttpResult<StatusResponse> UnknownSale = Status("unknown_sale", StatusCodes.Status404NotFound);
    public static readonly JsonHttpResult<StatusResponse> Unavailable = Status("unavailable", StatusCodes.Status503ServiceUnavailable);

    /// <summary>400 problem+json naming the bad field.</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [$"{field} {message}"] },
            title: $"Invalid request: {field}");

    /// <summary>Null when <paramref name="error"/> is; lets rules chain with <c>??</c>.</summary>
    public static ValidationProblem? Check(string field, string? error) => error is null ? null : Invalid(field, error);

    /// <summary>429 or 503 with Retry-After: the client retries, with the same request id.</summary>
    public static JsonHttpResult<StatusResponse> RetryLater(HttpContext context, int statusCode, StatusResponse response)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Json(response, ApiJsonContext.Default.StatusResponse, statusCode: statusCode);
    }

    private static JsonHttpResult<StatusResponse> Status(string status, int statusCode) =>
        TypedResults.Json(new StatusResponse(status), ApiJsonContext.Default.StatusResponse, statusCode: statusCode);
}
