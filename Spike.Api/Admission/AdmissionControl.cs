using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Spike.Api.Admission;

/// <summary>
/// Admission control of the buy endpoint: a token bucket per user and per client address, then a concurrency limit per
/// node with a bounded queue (<see cref="BuyAdmission"/>, which the endpoint asks before its StockActor sees a buy). A
/// refused buy is answered 429 "busy" with Retry-After, the answer a node's full wait queue gives too.
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
        builder.Services.AddSingleton(services => new BuyAdmission(services.GetRequiredService<IOptions<AdmissionOptions>>().Value));
        return builder;
    }

    /// <summary>The client's address from a trusted proxy's X-Forwarded-For, before any endpoint reads it.</summary>
    public static WebApplication UseAdmissionControl(this WebApplication app)
    {
        app.UseForwardedHeaders();
        return app;
    }
}
