using Spike.Commands;
using Spike.Tests.Support;

namespace Spike.Tests.Tracing;

/// <summary>
/// An inventory node and an API node in the test process, both tracing every request (ratio 1), started by the first
/// spec that asks. Only the API node exports (into <see cref="Spans"/>): the two share the process's ActivitySources,
/// so it records the inventory node's spans too.
/// </summary>
public sealed class TracedCluster : IAsyncLifetime
{
    private static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(60);

    private InProcessNode[] _nodes = [];

    public SpanCollection Spans { get; } = new();

    /// <summary>The API node, once the cluster is up (xunit runs a class's specs one at a time).</summary>
    public async Task<InProcessNode> StartAsync(string redis)
    {
        if (_nodes.Length == 0)
        {
            _nodes = await StartNodesAsync(redis);
        }
        return _nodes[1];
    }

    private async Task<InProcessNode[]> StartNodesAsync(string redis)
    {
        var topology = Topology.Plan(new TopologySettings
        {
            InventoryNodes = 1,
            InventoryPorts = [FreePort.Next()],
            ApiPorts = [FreePort.Next()],
            AkkaPorts = [FreePort.Next(), FreePort.Next()],
            CommandPorts = [FreePort.Next(), FreePort.Next()],
            NginxPort = FreePort.Next(),
            Redis = redis,
            AdminToken = Admin.Token,
        });
        var settings = TracingCollection.Traced(sampleRatio: 1);
        // One batch in flight per sale, and no direct fallback while Redis is stalled on purpose: the buyers that come
        // meanwhile form the next batch together.
        settings["Spike:Buy:MaxBatchesInFlight"] = "1";
        settings["Spike:Buy:FallbackAfter"] = "00:00:10";
        var inventory = new InProcessNode(topology.Nodes[0], settings);
        var api = new InProcessNode(topology.Nodes[1], settings, services: Spans.ExportFrom);
        var nodes = new[] { inventory, api };
        try
        {
            // The seed first: the cluster forms around it.
            await inventory.WaitUntilReadyAsync(FormationTimeout);
            await api.WaitUntilReadyAsync(FormationTimeout);
            return nodes;
        }
        catch
        {
            await DisposeAsync(nodes);
            throw;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => DisposeAsync(_nodes);

    private static async Task DisposeAsync(IEnumerable<InProcessNode> nodes)
    {
        // The API node first: it leaves while the seed still runs.
        foreach (var node in nodes.Reverse())
        {
            await node.DisposeAsync();
        }
    }
}
