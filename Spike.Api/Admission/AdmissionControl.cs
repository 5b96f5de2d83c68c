using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Api.Endpoints;

namespace Spike.Api.Admission;

/// <summary>
/// Admission control in front of the buy endpoint, with ASP.NET Core's rate limiter middleware and
/// <see cref="BuyAdmissionLimiter"/>: a token bucket per user and per client address, then a concurrency limit per node
/// with a bounded queue. A refused request is answered 429 "busy" with Retry-After before any actor or Redis sees it,
/// the answer a node's full wait queue gives too.
/// </summary>
/// <remarks>
/// The client address is the connection's peer, or what X-Forwarded-For says when the peer is a trusted proxy
/// (loopback: the local nginx, which sets it from the address it saw; <see cref="AdmissionOptions.TrustedProxies"/>).
/// Only the header's last entry counts, the one the trusted proxy added, so a client cannot pick its own address.
/// Addresses on this host (loopback) are exempt from the per-address limit: the benchmark's wrk, the demo's crowd and
/// health checks all come from one address. So is a request without a peer address (in-process, the tests' server),
/// and one from <see cref="AdmissionOptions.ExemptNetworks"/>.
/// </remarks>
public static class AdmissionControl
{
    public static WebApplicationBuilder AddAdmissionControl(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AdmissionOptions>, AdmissionOptionsValidation>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<AdmissionOptions>>((forwarded, admission) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            foreach (var network in AdmissionOptions.Networks(admission.Value.TrustedProxies))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<AdmissionOptions>>((limiter, admission) =>
        {
            limiter.GlobalLimiter = new BuyAdmissionLimiter(admission.Value);
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
        });
        return builder;
    }

    /// <summary>Forwarded addresses first (the limiter partitions by the client's), then the limiter.</summary>
    public static WebApplication UseAdmissionControl(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Marks the endpoints admission control applies to (the buy endpoint's).</summary>
    public static TBuilder RequireAdmission<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Admitted.Marker);

    /// <summary>The metadata <see cref="RequireAdmission{TBuilder}"/> adds and <see cref="BuyAdmissionLimiter"/> looks for.</summary>
    internal sealed class Admitted
    {
        public static readonly Admitted Marker = new();
    }

    private static ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 1;
        var requestId = HttpMethods.IsGet(context.Request.Method) ? BuyQuery.Parse(context.Request.QueryString.Value).Body?.RequestId : null;
        var answer = ApiResults.Busy(context, requestId, $"too many requests; retry after {retryAfter.ToString(CultureInfo.InvariantCulture)} s with the same requestId", retryAfter);
        SpikeMetrics.BuyOutcomes.Add(1, new KeyValuePair<string, object?>(SpikeMetrics.StatusTag, SpikeMetrics.StatusName(ReserveStatus.Busy)));
        return new ValueTask(answer.ExecuteAsync(context));
    }
}
