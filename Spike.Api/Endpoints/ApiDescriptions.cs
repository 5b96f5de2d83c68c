namespace Spike.Api.Endpoints;

/// <summary>What the endpoints answer, for the OpenAPI document; the handlers return untyped results for speed.</summary>
internal static class ApiDescriptions
{
    /// <summary>Answers with a <see cref="StatusResponse"/> body under these status codes.</summary>
    public static RouteHandlerBuilder ProducesStatus(this RouteHandlerBuilder endpoint, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            endpoint.Produces<StatusResponse>(statusCode);
        }
        return endpoint;
    }
}
