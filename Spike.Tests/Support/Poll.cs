namespace Spike.Tests.Support;

/// <summary>Polling with a deadline: the way to wait for something asynchronous without sleeping a fixed time.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{failure} (waited {timeout})");
            }
            await Task.Delay(Interval);
        }
    }

    public static async Task<T> UntilResultAsync<T>(Func<Task<T?>> attempt, TimeSpan timeout, string failure) where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await attempt() is { } result)
            {
                return result;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{failure} (waited {timeout})");
            }
            await Task.Delay(Interval);
        }
    }
}
