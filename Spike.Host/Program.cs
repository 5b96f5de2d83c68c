using Microsoft.Extensions.Hosting;
using Spike.Host.Hosting;

// A headless node: the inventory role (shard region of InventoryActors) without the web front.
var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(args);
builder.AddSpikeNode();
await builder.Build().RunAsync();
