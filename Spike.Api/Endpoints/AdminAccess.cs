using Microsoft.Extensions.Options;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>
/// Who may call the admin API: a bearer token equal to <c>Spike:AdminToken</c>, compared in constant time. There is no
/// default token: a node started without one refuses every admin call, and says so when it starts.
/// </summary>
public sealed class AdminAccess
{
    private const string Scheme = "Bearer ";
    private readonly SharedSecret? _token;

    public AdminAccess(IOptions<SpikeOptions> options, ILogger<AdminAccess> logger)
    {
        if (options.Value.AdminToken is { Length: > 0 } token)
        {
            _token = new SharedSecret(token);
        }
        else
        {
            logger.LogWarning("No admin token (Spike:AdminToken, env Spike__AdminToken): the admin API refuses every call with 401");
        }
    }

    /// <summary>The Authorization header carries the token (any other header or scheme: no).</summary>
    public bool Allows(string? authorization) =>
        _token is not null
        && authorization is not null
        && authorization.StartsWith(Scheme, StringComparison.Ordinal)
        && _token.Matches(authorization[Scheme.Length..]);
}
