using Microsoft.Extensions.Hosting;
using Spike.Host.Hosting;

namespace Spike.Host;

/// <summary>A headless node: the inventory role (shard region of InventoryActors) without the web front.</summary>
public static class HeadlessNode
{
    public static async Task Main(string[] args)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
        builder.AddSpikeNode();
        await builder.Build().RunAsync();
    }
}
