using StackExchange.Redis;

namespace Spike.Persistence.Redis;

/// <summary>
/// The connection of one plugin actor: its own multiplexer, opened from the configuration string when the actor starts
/// and disposed when it stops. It does not reuse an <see cref="IConnectionMultiplexer"/> registered in DI: the
/// plugin is created by Akka from HOCON, and owning its connection keeps its lifetime that of the actor.
/// </summary>
/// <remarks>
/// It connects synchronously, so every call the actor makes is issued from its receive, in the order of its messages
/// (awaiting a connect first would let the calls queued behind it resume in any order). With Redis down, starting
/// waits for the first attempt (<c>connectTimeout</c>) and goes on; the multiplexer keeps reconnecting.
/// </remarks>
internal sealed class RedisPluginConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    public RedisPluginConnection(RedisPluginSettings settings)
    {
        var options = settings.ConnectionOptions();
        _multiplexer = ConnectionMultiplexer.Connect(options);
        Database = _multiplexer.GetDatabase(settings.DatabaseNumber(options));
    }

    public IDatabase Database { get; }

    public void Dispose() => _multiplexer.Dispose();
}
