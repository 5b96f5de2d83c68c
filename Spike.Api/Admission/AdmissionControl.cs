using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Spike.Api.Endpoints;

namespace Spike.Api.Admission;

/// <summary>
/// Admission control in front of the buy endpoint, with ASP.NET Core's rate limiter: a token bucket per user and per
/// client address, then a concurrency limit per node with a bounded queue. A refused request is answered 429 "busy"
/// with Retry-After before any actor or Redis sees it, the answer a node's full wait queue gives too.
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
            limiter.GlobalLimiter = BuyLimiter(admission.Value);
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

    private sealed class Admitted
    {
        public static readonly Admitted Marker = new();
    }

    /// <summary>The three limits, cheapest refusals first; requests to other endpoints pass through each.</summary>
    private static PartitionedRateLimiter<HttpContext> BuyLimiter(AdmissionOptions options)
    {
        var exempt = AdmissionOptions.Networks(options.ExemptNetworks);
        return PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsAdmitted(context) && UserOf(context) is { } user
                    ? RateLimitPartition.GetTokenBucketLimiter(user, _ => Bucket(options.PerUser))
                    : RateLimitPartition.GetNoLimiter(string.Empty)),
            PartitionedRateLimiter.Create<HttpContext, IPAddress>(context =>
                IsAdmitted(context) && LimitedAddressOf(context, exempt) is { } address
                    ? RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(options.PerAddress))
                    : RateLimitPartition.GetNoLimiter(IPAddress.None)),
            PartitionedRateLimiter.Create<HttpContext, bool>(context =>
                IsAdmitted(context)
                    ? RateLimitPartition.GetConcurrencyLimiter(true, _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = options.MaxConcurrentBuys,
                        QueueLimit = options.MaxQueuedBuys,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    })
                    : RateLimitPartition.GetNoLimiter(false)));
    }

    private static bool IsAdmitted(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<Admitted>() is not null;

    private static TokenBucketRateLimiterOptions Bucket(AdmissionOptions.TokenBucket bucket) => new()
    {
        TokenLimit = bucket.Burst,
        TokensPerPeriod = bucket.PerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>The buyer of a <c>GET</c>; a request without a valid one is refused by the endpoint itself (400).</summary>
    private static string? UserOf(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && BuyQuery.Parse(context.Request.QueryString.Value).Body?.User is { } user
        && RequestRules.CheckId(user, required: true) is null
            ? user
            : null;

    /// <summary>The client's address, or null when it is exempt (this host, an exempt network, or no network peer).</summary>
    private static IPAddress? LimitedAddressOf(HttpContext context, System.Net.IPNetwork[] exempt)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }
        return address is null || IPAddress.IsLoopback(address) || exempt.Any(network => network.Contains(address)) ? null : address;
    }

    private static ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 1;
        var requestId = HttpMethods.IsGet(context.Request.Method) ? BuyQuery.Parse(context.Request.QueryString.Value).Body?.RequestId : null;
        var answer = ApiResults.Busy(context, requestId, $"too many requests; retry after {retryAfter.ToString(CultureInfo.InvariantCulture)} s with the same requestId", retryAfter);
        return new ValueTask(answer.ExecuteAsync(context));
    }
}
