using System.Diagnostics;
using System.Net;
using System.Threading.RateLimiting;

namespace Spike.Api.Admission;

/// <summary>
/// Admits a buy that goes on to the node's StockActor: a token from the user's bucket and from the client address's
/// (<see cref="TokenBuckets{TKey}"/>), then one of the node's buy permits (the framework's <see cref="ConcurrencyLimiter"/>,
/// with its queue). The buy endpoint asks only after the answers the node gives from what it already knows (an invalid
/// request, a sale that is over, not open yet or unknown): those cost less than this check, so admission guards exactly
/// the work that reaches an actor or Redis.
/// </summary>
public sealed class BuyAdmission(AdmissionOptions options) : IDisposable
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

    /// <summary>The node's buy permits: free ones, and buys queued for one.</summary>
    public RateLimiterStatistics? Statistics => _buys.GetStatistics();

    /// <summary>
    /// A permit to run <paramref name="user"/>'s buy (dispose it once the buy is answered), or a refusal saying when to
    /// retry. A token is taken only when both buckets hold one; a buy that then finds the node's queue full has spent it.
    /// </summary>
    public ValueTask<AdmissionDecision> AdmitAsync(HttpContext context, string user, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        var address = LimitedAddressOf(context);
        if (!_users.HasToken(user, now, out var userWait))
        {
            return ValueTask.FromResult(AdmissionDecision.Refused(userWait));
        }
        if (address is not null && !_addresses.HasToken(address, now, out var addressWait))
        {
            return ValueTask.FromResult(AdmissionDecision.Refused(addressWait));
        }
        _users.Take(user, now);
        if (address is not null)
        {
            _addresses.Take(address, now);
        }
        var permit = _buys.AttemptAcquire();
        if (permit.IsAcquired)
        {
            return ValueTask.FromResult(new AdmissionDecision(permit, TimeSpan.Zero));
        }
        permit.Dispose();
        return WaitForPermitAsync(cancellationToken); // the node is full: queue, oldest first
    }

    public void Dispose() => _buys.Dispose();

    private async ValueTask<AdmissionDecision> WaitForPermitAsync(CancellationToken cancellationToken)
    {
        try
        {
            var permit = await _buys.AcquireAsync(1, cancellationToken);
            if (permit.IsAcquired)
            {
                return new AdmissionDecision(permit, TimeSpan.Zero);
            }
            permit.Dispose();
        }
        catch (OperationCanceledException)
        {
            // the buyer went away while queued: nobody reads the answer
        }
        return AdmissionDecision.Refused(TimeSpan.Zero);
    }

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
}

/// <summary>
/// What <see cref="BuyAdmission"/> decided: a <paramref name="Permit"/> held while the buy runs, or none, and then
/// <paramref name="RetryAfter"/>, when the bucket that refused holds a token again (zero: the node is full).
/// </summary>
public readonly record struct AdmissionDecision(RateLimitLease? Permit, TimeSpan RetryAfter)
{
    public static AdmissionDecision Refused(TimeSpan retryAfter) => new(null, retryAfter);

    /// <summary>Retry-After in whole seconds, at least 1.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}
