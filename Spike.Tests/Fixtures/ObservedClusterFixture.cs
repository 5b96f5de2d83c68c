namespace Spike.Tests.Fixtures;

/// <summary>
/// A small real cluster for the specs that watch one from outside (the dashboard, the metrics): its own Redis, one
/// inventory node and two API nodes as processes, nginx in front. Its gauges refresh every half second.
/// </summary>
public sealed class ObservedClusterFixture : IAsyncLifetime
{
    public RedisServerFixture Redis { get; } = new();

    public ProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        Cluster = await ProcessCluster.StartAsync(Redis, inventoryNodes: 1, weights: [1, 1], nodeEnvironment: ["Spike__Metrics__RefreshEvery=00:00:00.500"]);
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
        await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ObservedClusterCollection : ICollectionFixture<ObservedClusterFixture>
{
    public const string Name = "observed-cluster";
}
