using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Spike.Host.Hosting;

namespace Spike.Host;

/// <summary>
/// A headless node: the inventory role (shard region of InventoryActors) without the buy API. It serves
/// only /healthz and /ready (on ASPNETCORE_URLS) so scripts and orchestrators can wait for it.
/// </summary>
public static class HeadlessNode
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddSpikeNode();
        var app = builder.Build();
        app.MapSpikeHealthChecks();
        app.MapSpikeMetrics();
        await app.RunAsync();
    }
}
