using System.Net;
using Microsoft.Extensions.Options;

namespace Spike.Api.Admission;

/// <summary>
/// Admission control of the buy endpoint (section <c>Spike:Admission</c>, env <c>Spike__Admission__…</c>): how many
/// buys a user and a client address may start, and how many one node runs at once. Checked at startup.
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Spike:Admission";

    /// <summary>
    /// Per user (the <c>user</c> of a buy, from the query or the body): a buyer retrying with its request id
    /// every Retry-After (at most 1 s) stays far below it; a script hammering as one user does not.
    /// </summary>
    public TokenBucket PerUser { get; set; } = new() { PerSecond = 2, Burst = 5 };

    /// <summary>Per client address: room for a NAT or an office of many buyers. Addresses on this host are exempt.</summary>
    public TokenBucket PerAddress { get; set; } = new() { PerSecond = 200, Burst = 400 };

    /// <summary>
    /// Buys this node runs at once; more wait in a queue of <see cref="MaxQueuedBuys"/>, beyond it 429. Sized for
    /// latency, not memory: a node answers a buy in a few milliseconds and 100 buys at once saturate it, so the 512
    /// admitted wait at most some tens of milliseconds at its pace, and an overload is told 429 at once rather than
    /// answered seconds late.
    /// </summary>
    public int MaxConcurrentBuys { get; set; } = 256;

    /// <summary>Buys waiting for one of the <see cref="MaxConcurrentBuys"/>, oldest first; 0: none wait.</summary>
    public int MaxQueuedBuys { get; set; } = 256;

    /// <summary>
    /// Proxies whose X-Forwarded-For names the client, as addresses or networks (<c>10.0.0.5</c>, <c>172.16.0.0/12</c>),
    /// besides loopback (the local nginx), which is always trusted. From any other peer the header is ignored and the
    /// peer is the client.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// Client addresses or networks not limited per address, besides loopback (always exempt): where the host's own
    /// load comes from when it is not loopback (in Docker, the bridge's gateway).
    /// </summary>
    public string[] ExemptNetworks { get; set; } = [];

    /// <summary>An address (a network of one) or a network in CIDR form; false when it is neither.</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }

    /// <summary>The networks of validated entries (<see cref="AdmissionOptionsValidation"/> refused any other at startup).</summary>
    public static IPNetwork[] Networks(IEnumerable<string> entries) =>
        [.. entries.Select(entry => TryParseNetwork(entry, out var network) ? network : throw new FormatException($"'{entry}' is not an IP address or network"))];

    /// <summary>A token bucket: <see cref="Burst"/> requests at once, refilled by <see cref="PerSecond"/> a second.</summary>
    public sealed class TokenBucket
    {
        public int PerSecond { get; set; }

        public int Burst { get; set; }
    }
}

/// <summary>Refuses settings that would make a limiter throw or let nothing through, naming the setting.</summary>
public sealed class AdmissionOptionsValidation : IValidateOptions<AdmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdmissionOptions options)
    {
        var errors = new List<string>();
        CheckBucket(errors, nameof(options.PerUser), options.PerUser);
        CheckBucket(errors, nameof(options.PerAddress), options.PerAddress);
        if (options.MaxConcurrentBuys < 1)
        {
            errors.Add($"{AdmissionOptions.Section}:{nameof(options.MaxConcurrentBuys)} must be at least 1 (it is {options.MaxConcurrentBuys})");
        }
        if (options.MaxQueuedBuys < 0)
        {
            errors.Add($"{AdmissionOptions.Section}:{nameof(options.MaxQueuedBuys)} must not be negative (it is {options.MaxQueuedBuys})");
        }
        foreach (var (setting, entry) in options.TrustedProxies.Select(p => (nameof(options.TrustedProxies), p))
            .Concat(options.ExemptNetworks.Select(e => (nameof(options.ExemptNetworks), e)))
            .Where(e => !AdmissionOptions.TryParseNetwork(e.Item2, out _)))
        {
            errors.Add($"{AdmissionOptions.Section}:{setting} holds '{entry}', which is neither an IP address nor a network such as 10.0.0.0/8");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckBucket(List<string> errors, string name, AdmissionOptions.TokenBucket bucket)
    {
        if (bucket.PerSecond < 1)
        {
            errors.Add($"{AdmissionOptions.Section}:{name}:{nameof(bucket.PerSecond)} must be at least 1 (it is {bucket.PerSecond})");
        }
        if (bucket.Burst < 1)
        {
            errors.Add($"{AdmissionOptions.Section}:{name}:{nameof(bucket.Burst)} must be at least 1 (it is {bucket.Burst})");
        }
    }
}
