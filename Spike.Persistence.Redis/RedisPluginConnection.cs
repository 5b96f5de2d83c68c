using StackExchange.Redis;

namespace Spike.Persistence.Redis;

/// <summary>
/// The connection of one plugin actor: its own multiplexer, opened from the configuration string when the actor starts
/// and disposed when it stops. It does not reuse an <see cref="IConnectionMultiplexer"/> registered in DI: the
/// plugin is created by Akka from HOCON, and owning its connection keeps its lifetime that of the actor.
/// </summary>
internal sealed class RedisPluginConnection : IDisposable
{
    private readonly Task<ConnectionMultiplexer> _connecting;
    private readonly int _database;

    public RedisPluginConnection(RedisPluginSettings settings)
    {
        var options = settings.ConnectionOptions();
        _database = settings.DatabaseNumber(options);
        // asynchronous, so a plugin actor never blocks its thread while Redis is slow to answer
        _connecting = ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task<IDatabase> DatabaseAsync() => (await _connecting).GetDatabase(_database);

    public void Dispose() =>
        _connecting.ContinueWith(
            static connecting => connecting.Result.Dispose(),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}
