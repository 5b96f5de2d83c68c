using Spike.Cli.Demo;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Tests.Cli;

public sealed class FlashDemoSpecs
{
    [Fact]
    public void Should_kill_the_heaviest_api_node_and_the_first_seed_when_the_cluster_has_the_default_shape()
    {
        // arrange: 2 inventory nodes, 4 API nodes weighted 1:2:3:4
        var state = Recorded(new TopologySettings());

        // act
        var victims = FlashDemo.PickVictims(state);

        // assert
        Assert.Equal(["api-3004", "inventory-1"], victims.Select(v => v.Name));
    }

    [Fact]
    public void Should_kill_the_last_of_equally_weighted_api_nodes_when_weights_tie()
    {
        var state = Recorded(new TopologySettings { ApiWeights = [2, 2, 1, 2] });

        var victims = FlashDemo.PickVictims(state);

        Assert.Equal(["api-3004", "inventory-1"], victims.Select(v => v.Name));
    }

    [Theory]
    [InlineData(0, 1)]   // one node: nothing would be left to serve
    [InlineData(0, 2)]   // two nodes: one dead is no majority
    public void Should_kill_no_node_when_no_majority_would_survive(int inventoryNodes, int apiNodes)
    {
        var state = Recorded(new TopologySettings
        {
            InventoryNodes = inventoryNodes,
            ApiPorts = [.. Enumerable.Range(3001, apiNodes)],
        });

        var victims = FlashDemo.PickVictims(state);

        Assert.Empty(victims);
    }

    [Theory]
    [InlineData(2)]   // two dead of four would be no majority
    [InlineData(1)]   // the only seed holds the cluster together: it is not killed
    public void Should_kill_only_an_api_node_when_killing_a_seed_too_would_leave_no_majority_or_no_seed(int inventoryNodes)
    {
        // arrange: 2 API nodes
        var state = Recorded(new TopologySettings { InventoryNodes = inventoryNodes, ApiPorts = [3001, 3002] });

        var victims = FlashDemo.PickVictims(state);

        Assert.Equal(["api-3002"], victims.Select(v => v.Name));
    }

    /// <summary>A run state with a process per node of the plan (pids made up: nothing is started).</summary>
    private static RunState Recorded(TopologySettings topology)
    {
        var plan = Topology.Plan(topology);
        return new RunState
        {
            Settings = new LocalSettings { Topology = topology },
            BuildCommit = "test",
            Processes = [.. plan.Nodes.Select(n => new RunProcess(n.Name, n.Kind, 100_000 + n.Index, 0, n.HttpPort, n.Name + ".log"))],
        };
    }
}
