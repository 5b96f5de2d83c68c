using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

public static class HealthApi
{
    private static readonly IResult Pong = TypedResults.Json(new StatusResponse("ok"), ApiJsonContext.Default.StatusResponse);

    /// <summary>/healthz (the actor system runs), /ready (cluster member Up and Redis reachable), /ping (the bench's HTTP ceiling).</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(SpikeNodeExtensions.LivenessTag) });
        app.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(SpikeNodeExtensions.ReadinessTag) });
        app.MapGet("/ping", () => Pong);
        return app;
    }
}
