using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Spike.Cli.Flash;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Flash;

/// <summary>The crowd against a real node on a loopback port (its own redis-server), and against stubs that answer what a node rarely does.</summary>
[Collection(LoopbackSpikeAppCollection.Name)]
public sealed class FlashCrowdSpecs(LoopbackSpikeAppFixture app)
{
    private const int Stock = 40;

    private static FlashOptions Crowd(Uri url, string sale, int buyers) => new(url, sale, buyers)
    {
        Concurrency = 12,
        Stock = Stock,
        AdminToken = Admin.Token,
        BuyerDeadline = TimeSpan.FromSeconds(30),
        MaxDuration = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public async Task Should_get_exactly_the_stock_in_reserved_answers_when_three_times_as_many_buyers_race()
    {
        var sale = await app.CreateSaleAsync(Stock);

        var result = await new FlashCrowd(Crowd(app.LoopbackUrl!, sale, 3 * Stock)).RunAsync();

        Assert.True(result.Complete, string.Join('\n', result.SummaryLines()));
        Assert.Equal(Stock, result.Reserved);
        Assert.Equal(Stock, result.Outcomes[FlashOutcomes.Reserved]);
        Assert.Equal(2 * Stock, result.Outcomes[FlashOutcomes.SoldOut]);
        Assert.Equal(3 * Stock, result.Outcomes.Values.Sum());
        Assert.Equal(Stock, result.Orders.Select(o => o.OrderId).Distinct().Count());
        Assert.Equal(0, result.DuplicateReserved);
        var buyers = Enumerable.Range(1, 3 * Stock).Select(n => $"{sale}-{n}").ToHashSet();
        Assert.All(result.Orders, o => Assert.Contains(o.User!, buyers));
        Assert.Equal(result.Answers, result.Statuses.Values.Sum());
        Assert.NotNull(result.SoldOutAt);
        var audit = await SaleAudit.ReadAsync(app.Redis.Database, sale, result.Orders, new SaleAuditOptions { ExpectSoldOut = true });
        Assert.Equal(Stock, audit.Counts.Held);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_mark_halfway_once_at_that_many_reserved_answers_when_a_halfway_mark_is_set()
    {
        var sale = await app.CreateSaleAsync(Stock);
        var crowd = new FlashCrowd(Crowd(app.LoopbackUrl!, sale, 3 * Stock) with { Halfway = Stock / 2 });

        var run = crowd.RunAsync();
        var halfway = await crowd.Halfway;
        var result = await run;

        Assert.NotNull(halfway);
        Assert.Equal(Stock / 2, halfway.Reserved);
        Assert.Same(halfway, result.Halfway);
        Assert.True(halfway.At <= result.LastReservedAt);
        // A request counts in the phase it was sent in: those sent before the mark got at least its reserved answers.
        var node = Assert.Single(result.Nodes);
        Assert.Equal("?", node.Address);
        Assert.InRange(node.Before.Reserved, Stock / 2, Stock);
        Assert.Equal(Stock, node.Before.Reserved + node.After.Reserved);
        Assert.Equal(result.Answers, node.Before.Answers + node.After.Answers);
        Assert.Equal(result.Answers, node.Before.Picked + node.After.Picked);
    }

    [Fact]
    public async Task Should_report_no_halfway_when_the_reserved_answers_never_reach_the_mark()
    {
        var sale = await app.CreateSaleAsync(Stock);
        var crowd = new FlashCrowd(Crowd(app.LoopbackUrl!, sale, 3 * Stock) with { Halfway = Stock + 1 });

        var result = await crowd.RunAsync();

        Assert.Null(await crowd.Halfway);
        Assert.Null(result.Halfway);
        Assert.Equal(0, Assert.Single(result.Nodes).After.Answers);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Should_resend_the_same_request_id_until_a_final_answer_when_the_first_answer_says_retry(int status)
    {
        var requests = new ConcurrentQueue<(string User, string RequestId)>();
        await using var stub = await StubSaleAsync((context, user, requestId) =>
        {
            requests.Enqueue((user, requestId));
            if (requests.Count(r => r.RequestId == requestId) > 1)
            {
                return ReserveAsync(context, user);
            }
            context.Response.StatusCode = status;
            context.Response.Headers.RetryAfter = "0";
            return Task.CompletedTask;
        });

        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 5)).RunAsync();

        Assert.Equal(5, result.Reserved);
        Assert.Equal(5, result.Retries);
        Assert.Equal(5, result.Statuses[status]);
        Assert.Equal(10, requests.Count);
        Assert.All(requests.GroupBy(r => r.User), attempts => Assert.Equal([$"r{attempts.Key}", $"r{attempts.Key}"], attempts.Select(a => a.RequestId)));
    }

    [Fact]
    public async Task Should_resend_the_same_request_id_when_the_connection_breaks_before_the_answer()
    {
        var requests = new ConcurrentQueue<(string User, string RequestId)>();
        await using var stub = await StubSaleAsync((context, user, requestId) =>
        {
            requests.Enqueue((user, requestId));
            if (requests.Count(r => r.RequestId == requestId) > 1)
            {
                return ReserveAsync(context, user);
            }
            context.Abort();
            return Task.CompletedTask;
        });

        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 3) with { Concurrency = 1 }).RunAsync();

        Assert.Equal(3, result.Reserved);
        Assert.True(result.ConnectionErrors >= 1, $"{result.ConnectionErrors} connection errors");
        Assert.All(requests, r => Assert.Equal($"r{r.User}", r.RequestId));
        Assert.All(requests.GroupBy(r => r.User), attempts => Assert.Equal(2, attempts.Count()));
    }

    [Fact]
    public async Task Should_wait_at_most_a_second_when_Retry_After_asks_for_longer()
    {
        var requests = new ConcurrentQueue<string>();
        await using var stub = await StubSaleAsync((context, user, requestId) =>
        {
            requests.Enqueue(requestId);
            if (requests.Count(r => r == requestId) > 1)
            {
                return ReserveAsync(context, user);
            }
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "30";
            return Task.CompletedTask;
        });

        // Waiting the 30 s asked for would pass the deadline, and the buyer would give up instead.
        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 1) with { BuyerDeadline = TimeSpan.FromSeconds(5) }).RunAsync();

        Assert.Equal(1, result.Outcomes[FlashOutcomes.Reserved]);
    }

    [Fact]
    public async Task Should_count_the_answer_as_final_and_unexpected_when_it_is_neither_success_nor_retry()
    {
        await using var stub = await StubSaleAsync((context, _, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        });

        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 4)).RunAsync();

        Assert.True(result.Complete);
        Assert.Equal(4, result.Outcomes["unexpected:500"]);
        Assert.Equal(4, result.Sent);
        Assert.Equal(0, result.Retries);
    }

    [Fact]
    public async Task Should_give_up_when_no_final_answer_comes_before_the_buyer_deadline()
    {
        await using var stub = await StubSaleAsync((context, _, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "0.05";
            return Task.CompletedTask;
        });

        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 3) with { BuyerDeadline = TimeSpan.FromMilliseconds(300) }).RunAsync();

        Assert.True(result.Complete);
        Assert.Equal(3, result.Outcomes[FlashOutcomes.GaveUp]);
        Assert.True(result.Retries >= 3, $"{result.Retries} retries");
    }

    [Fact]
    public async Task Should_count_nginx_pick_and_the_answering_node_apart_when_nginx_tried_another_node_first()
    {
        await using var stub = await StubSaleAsync((context, user, _) =>
        {
            context.Response.Headers["X-Spike-Upstream"] = "127.0.0.1:7001, 127.0.0.1:7002";
            return ReserveAsync(context, user);
        });

        var result = await new FlashCrowd(Crowd(stub.Url, "s", buyers: 4)).RunAsync();

        Assert.Equal(
            [new FlashNode("127.0.0.1:7001", new(0, 0, 4), new(0, 0, 0)), new FlashNode("127.0.0.1:7002", new(4, 4, 0), new(0, 0, 0))],
            result.Nodes);
    }

    [Theory]
    [InlineData("http://10.0.0.1:8080", "loopback")]
    [InlineData("http://localhost:8080", "not a host name")]
    [InlineData("https://127.0.0.1:8443", "http://")]
    public void Should_refuse_to_start_when_the_url_is_not_a_loopback_http_address(string url, string reason)
    {
        var refusal = Assert.Throws<ArgumentException>(() => new FlashCrowd(new FlashOptions(new Uri(url), "s", 1)));

        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_accept_the_url_when_it_names_the_ipv6_loopback_address()
    {
        Assert.Null(FlashOptions.UrlProblem(new Uri("http://[::1]:8080")));
    }

    /// <summary>A stand-in for nginx in front of a sale: the admin API shows it sold out (to the admin token); buy answers the buyers.</summary>
    private static Task<LoopbackStub> StubSaleAsync(Func<HttpContext, string, string, Task> buy) => LoopbackStub.StartAsync(context =>
    {
        if (context.Request.Path.StartsWithSegments("/admin/sales", StringComparison.Ordinal))
        {
            context.Response.StatusCode = context.Request.Headers.Authorization == $"Bearer {Admin.Token}" ? 200 : 401;
            return context.Response.WriteAsync("""{"available":0}""");
        }
        return buy(context, context.Request.Query["user"].ToString(), context.Request.Query["requestId"].ToString());
    });

    private static Task ReserveAsync(HttpContext context, string user)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync($$"""{"status":"reserved","orderId":"o-{{user}}"}""");
    }
}
