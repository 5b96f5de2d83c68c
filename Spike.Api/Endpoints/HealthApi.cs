using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

public static class HealthApi
{
    private static readonly IResult Pong = JsonAnswer.Fixed(StatusCodes.Status200OK, new StatusResponse("ok"), ApiJsonContext.Default.StatusResponse);

    /// <summary>/healthz (the actor system runs), /ready (cluster member Up and Redis reachable), /ping (the bench's HTTP ceiling).</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapSpikeHealthChecks();
        app.MapGet("/ping", () => Pong);
        return app;
    }
}
