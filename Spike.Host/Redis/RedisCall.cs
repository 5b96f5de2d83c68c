using Spike.Actors.Inventory;
using StackExchange.Redis;

namespace Spike.Host.Redis;

/// <summary>How Spike's Redis stores run a call: "down", "no answer in time" and "not now" become <see cref="InventoryUnavailableException"/>.</summary>
internal static class RedisCall
{
    /// <param name="what">What the call does, for the message ("reserving", "reading the sale").</param>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await call().WaitAsync(cancellationToken);
        }
        catch (RedisTimeoutException ex)
        {
            throw new InventoryUnavailableException($"Redis did not answer {what} in time; the outcome is unknown.", ex);
        }
        catch (RedisConnectionException ex)
        {
            throw new InventoryUnavailableException($"Redis is unreachable ({what}).", ex);
        }
        catch (RedisServerException ex) when (IsUnavailable(ex))
        {
            throw new InventoryUnavailableException($"Redis cannot serve {what} now: {ex.Message}", ex);
        }
    }

    /// <summary>Server errors that mean "not now" (loading, failover, busy script, memory) rather than a bug.</summary>
    private static bool IsUnavailable(RedisServerException ex)
    {
        var message = ex.Message;
        return message.StartsWith("LOADING", StringComparison.Ordinal)
            || message.StartsWith("BUSY", StringComparison.Ordinal)
            || message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || message.StartsWith("READONLY", StringComparison.Ordinal)
            || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            || message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || message.StartsWith("NOSCRIPT", StringComparison.Ordinal)
            || message.StartsWith("OOM", StringComparison.Ordinal);
    }
}
