using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>
/// Opens the Redis connection with fail-fast settings: when Redis is down a command fails at once (the system
/// fails closed) instead of queueing until it returns; a command without an answer in ~2 s is a timeout
/// (outcome unknown).
/// </summary>
public static class RedisConnection
{
    public const int TimeoutMilliseconds = 2000;

    /// <summary>Parses <paramref name="configuration"/> (StackExchange.Redis syntax) and applies the fail-fast settings.</summary>
    public static ConfigurationOptions CreateOptions(string configuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = TimeoutMilliseconds;
        options.SyncTimeout = TimeoutMilliseconds;
        options.AsyncTimeout = TimeoutMilliseconds;
        options.ConnectRetry = 1;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, TimeoutMilliseconds);
        return options;
    }

    /// <summary>Connects; does not throw when Redis is down at start (it keeps reconnecting in the background).</summary>
    public static ConnectionMultiplexer Connect(string configuration) => ConnectionMultiplexer.Connect(CreateOptions(configuration));
}
