using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;
using Spike.Api.Endpoints;

namespace Spike.Api.Admission;

/// <summary>
/// The rate limiter middleware's global limiter: for the endpoints marked <see cref="AdmissionControl.RequireAdmission"/>,
/// a token from the user's bucket and from the client address's (<see cref="TokenBuckets{TKey}"/>), then one of the
/// node's buy permits (the framework's <see cref="ConcurrencyLimiter"/>, with its queue). Every other request passes.
/// </summary>
/// <remarks>
/// The middleware first tries <see cref="RateLimiter.AttemptAcquire(int)"/>-style, and waits with the asynchronous
/// acquire when that fails. Tokens are taken only together with a permit, or on the waiting path, so a request whose
/// first attempt failed is not charged twice.
/// </remarks>
public sealed class BuyAdmissionLimiter(AdmissionOptions options) : PartitionedRateLimiter<HttpContext>
{
    /// <summary>
    /// 2^18 buckets (2 MB). A crowd of 60,000 new users a second keeps about 30,000 counting at once (each for the half
    /// second its token takes to come back), far below the table: a user is refused for others' requests only if both
    /// its buckets hold a burst of them.
    /// </summary>
    private readonly TokenBuckets<string> _users = new(options.PerUser.PerSecond, options.PerUser.Burst, bucketsLog2: 18);
    private readonly TokenBuckets<IPAddress> _addresses = new(options.PerAddress.PerSecond, options.PerAddress.Burst, bucketsLog2: 16);
    private readonly System.Net.IPNetwork[] _exempt = AdmissionOptions.Networks(options.ExemptNetworks);
    private readonly ConcurrencyLimiter _buys = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.MaxConcurrentBuys,
        QueueLimit = options.MaxQueuedBuys,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => _buys.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        if (!IsAdmitted(resource))
        {
            return Leases.Free;
        }
        var permit = _buys.AttemptAcquire();
        if (!permit.IsAcquired)
        {
            return permit; // the node is full: the waiting path takes the tokens and queues
        }
        var refused = TakeTokens(resource);
        if (refused is not null)
        {
            permit.Dispose();
            return refused;
        }
        return permit;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        if (!IsAdmitted(resource))
        {
            return Leases.Free;
        }
        return TakeTokens(resource) ?? await _buys.AcquireAsync(1, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _buys.Dispose();
        }
        base.Dispose(disposing);
    }

    private static bool IsAdmitted(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<AdmissionControl.Admitted>() is not null;

    /// <summary>A token of the user's and of the address's bucket, both or neither; the refusal when either is empty.</summary>
    private RateLimitLease? TakeTokens(HttpContext context)
    {
        var now = Stopwatch.GetTimestamp();
        var user = UserOf(context);
        var address = LimitedAddressOf(context);
        if (user is not null && !_users.HasToken(user, now, out var userWait))
        {
            return Leases.Refused(userWait);
        }
        if (address is not null && !_addresses.HasToken(address, now, out var addressWait))
        {
            return Leases.Refused(addressWait);
        }
        if (user is not null)
        {
            _users.Take(user, now);
        }
        if (address is not null)
        {
            _addresses.Take(address, now);
        }
        return null;
    }

    /// <summary>The buyer of a <c>GET</c>; a request without a valid one is refused by the endpoint itself (400).</summary>
    private static string? UserOf(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method)
        && BuyQuery.Parse(context.Request.QueryString.Value).Body?.User is { } user
        && RequestRules.CheckId(user, required: true) is null
            ? user
            : null;

    /// <summary>The client's address, or null when it is exempt (this host, an exempt network, or no network peer).</summary>
    private IPAddress? LimitedAddressOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true })
        {
            address = address.MapToIPv4();
        }
        return address is null || IPAddress.IsLoopback(address) || _exempt.Any(network => network.Contains(address)) ? null : address;
    }

    private static class Leases
    {
        public static readonly RateLimitLease Free = new Granted();

        public static RateLimitLease Refused(TimeSpan retryAfter) => new Refusal(retryAfter);

        private sealed class Granted : RateLimitLease
        {
            public override bool IsAcquired => true;

            public override IEnumerable<string> MetadataNames => [];

            public override bool TryGetMetadata(string metadataName, out object? metadata)
            {
                metadata = null;
                return false;
            }
        }

        /// <summary>An empty bucket, with how long until it holds a token again.</summary>
        private sealed class Refusal(TimeSpan retryAfter) : RateLimitLease
        {
            public override bool IsAcquired => false;

            public override IEnumerable<string> MetadataNames => [MetadataName.RetryAfter.Name];

            public override bool TryGetMetadata(string metadataName, out object? metadata)
            {
                metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
                return metadata is not null;
            }
        }
    }
}
