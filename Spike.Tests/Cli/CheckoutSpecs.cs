using Microsoft.AspNetCore.Http;
using Spike.Cli.Demo;
using Spike.Sales;
using Spike.Tests.Support;

namespace Spike.Tests.Cli;

public sealed class CheckoutSpecs
{
    [Fact]
    public async Task Should_give_up_every_waiting_buyer_at_once_when_no_call_was_answered_for_the_give_up_time()
    {
        // arrange: a cluster that answers nothing but 503, and more buyers than the checkout runs at once
        var requests = 0;
        await using var gone = await LoopbackStub.StartAsync(context =>
        {
            Interlocked.Increment(ref requests);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        ReservedAnswer[] orders = [.. Enumerable.Range(1, 200).Select(n => new ReservedAnswer($"s-{n}", $"u{n}"))];
        var checkout = new Checkout(gone.Url, payShare: 1, cancelShare: 0, giveUpAfter: TimeSpan.FromMilliseconds(500));

        // act
        var result = await checkout.RunAsync(orders);

        // assert: every buyer gave up, and the buyers who had not started yet did not each wait their own half second
        Assert.Equal(200, result.Count("pay_gave_up"));
        Assert.InRange(Volatile.Read(ref requests), 1, orders.Length - 1);
    }

    [Fact]
    public async Task Should_keep_retrying_a_buyer_past_the_give_up_time_when_other_buyers_are_answered()
    {
        // arrange: the first order's calls fail 8 times (its backoff adds up to about 4.5 s, past the give-up time of
        // 2 s), while the other orders are answered, each after 100 ms (at least 6 s for all of them, 32 at once): answers
        // come every few milliseconds, far inside the give-up time even on a loaded machine
        var failuresLeft = 8;
        await using var node = await LoopbackStub.StartAsync(async context =>
        {
            if (context.Request.Path.StartsWithSegments("/orders/s-1") && Interlocked.Decrement(ref failuresLeft) >= 0)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await Task.Delay(100);
            await context.Response.WriteAsJsonAsync(new { state = "paid" });
        });
        ReservedAnswer[] orders = [.. Enumerable.Range(1, 2_000).Select(n => new ReservedAnswer($"s-{n}", $"u{n}"))];
        var checkout = new Checkout(node.Url, payShare: 1, cancelShare: 0, giveUpAfter: TimeSpan.FromSeconds(2));

        // act
        var result = await checkout.RunAsync(orders);

        // assert
        Assert.Equal(2_000, result.Count("pay_paid"));
    }
}
