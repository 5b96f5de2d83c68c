using System.Globalization;
using System.Net;

namespace Spike.Cli.Flash;

/// <summary>
/// A flash-sale crowd: <see cref="Buyers"/> new users of <see cref="Sale"/>, <see cref="Concurrency"/> of them asking at
/// a time, each until it has a final answer or its <see cref="BuyerDeadline"/> passed.
/// </summary>
/// <param name="Url">The system's base URL (nginx, e.g. <c>http://127.0.0.1:8080</c>); a loopback IP address only.</param>
/// <param name="Sale">The sale the buyers buy from.</param>
/// <param name="Buyers">How many buyers, each a new user: 1..<see cref="MaxBuyers"/>.</param>
public sealed record FlashOptions(Uri Url, string Sale, int Buyers)
{
    public const int MaxBuyers = 10_000_000;
    public const int MaxConcurrency = 2000;

    /// <summary>Buyers asking at a time (each with one request in flight): 1..<see cref="MaxConcurrency"/>.</summary>
    public int Concurrency { get; init; } = 150;

    /// <summary>The sale's stock: shown in the progress lines only (0: not shown).</summary>
    public long Stock { get; init; }

    /// <summary>Buyer <c>n</c> is user <c>&lt;prefix&gt;-&lt;n&gt;</c>; null means the sale id.</summary>
    public string? UserPrefix { get; init; }

    /// <summary>The number of reserved answers that marks halfway (0: no halfway mark).</summary>
    public int Halfway { get; init; }

    /// <summary>The bearer token of the admin API, which tells when the sale sold out.</summary>
    public string AdminToken { get; init; } = "";

    /// <summary>Where the admin API is read: a node's own port (nginx does not serve it on the public one); null: <see cref="Url"/>.</summary>
    public Uri? AdminUrl { get; init; }

    /// <summary>How often the sale's counts are read from the admin API, to see it sell out.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A request without an answer after this long counts as a lost connection (and is retried).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A buyer without a final answer after this long gives up.</summary>
    public TimeSpan BuyerDeadline { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The whole run stops after this long; buyers still asking then are unfinished.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(600);

    public string EffectiveUserPrefix => UserPrefix ?? Sale;

    /// <summary>What makes these options unusable, one sentence each; empty when they are fine.</summary>
    public IEnumerable<string> Problems()
    {
        if (UrlProblem(Url) is { } url)
        {
            yield return url;
        }
        if (AdminUrl is not null && UrlProblem(AdminUrl) is { } adminUrl)
        {
            yield return "admin " + adminUrl;
        }
        if (string.IsNullOrWhiteSpace(Sale))
        {
            yield return "the sale id is empty";
        }
        if (Buyers is < 1 or > MaxBuyers)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"the buyers must be 1..{MaxBuyers:N0}, not {Buyers}");
        }
        if (Concurrency is < 1 or > MaxConcurrency)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"the concurrency must be 1..{MaxConcurrency:N0}, not {Concurrency}");
        }
        if (Stock < 0 || Halfway < 0)
        {
            yield return "the stock and the halfway mark cannot be negative";
        }
        if (PollInterval <= TimeSpan.Zero || ProgressInterval <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero
            || BuyerDeadline <= TimeSpan.Zero || MaxDuration <= TimeSpan.Zero)
        {
            yield return "the poll interval, progress interval, request timeout, buyer deadline and run duration must be positive";
        }
    }

    /// <summary>
    /// Why the crowd will not talk to <paramref name="url"/>, or null: it sends a crowd's worth of requests, so it
    /// only talks to this machine, named by a loopback IP address (a host name could resolve anywhere).
    /// </summary>
    public static string? UrlProblem(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttp)
        {
            return $"the URL must be http://<loopback address>:<port>, not '{url}'";
        }
        if (url.HostNameType is not (UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            return $"the URL must name a loopback IP address (127.0.0.1), not a host name: '{url.Host}'";
        }
        return IPAddress.IsLoopback(IPAddress.Parse(url.DnsSafeHost))
            ? null
            : $"the URL must name a loopback address (127.0.0.1), not {url.Host}";
    }
}
