using Akka.Actor;

namespace Spike.Actors.Orders;

internal static class OrderAsk
{
    /// <summary>The order's answer, or null when none came in time (the order may still be busy: ask again later).</summary>
    public static async Task<OrderReply?> AskOrderAsync(this IActorRef orders, IOrderCommand command, TimeSpan timeout)
    {
        try
        {
            return await orders.Ask<OrderReply>(command, timeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
