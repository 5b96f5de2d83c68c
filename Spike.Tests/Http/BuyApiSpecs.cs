using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

[Collection(SpikeAppCollection.Name)]
public sealed class BuyApiSpecs(SpikeAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    private sealed record Answer(HttpStatusCode Code, string Status, string? OrderId, string? User);

    private async Task<Answer> BuyAsync(string query)
    {
        using var response = await _client.GetAsync("/buy/ticket?" + query);
        return await ReadAsync(response);
    }

    /// <summary>A buyer of a crowd larger than the node admits at once: refused as busy, it tries again with its requestId.</summary>
    private async Task<Answer> BuyUntilAdmittedAsync(string query)
    {
        while (true)
        {
            var answer = await BuyAsync(query);
            if (answer.Code != HttpStatusCode.TooManyRequests)
            {
                return answer;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // the buyer's back-off, shorter than Retry-After to keep the spec quick
        }
    }

    private static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        string? Field(string name) => json.TryGetProperty(name, out var value) ? value.GetString() : null;
        return new Answer(response.StatusCode, Field("status") ?? "", Field("orderId"), Field("user"));
    }

    [Fact]
    public async Task Should_reserve_exactly_one_ticket_when_200_unique_buyers_race_for_a_stock_of_1()
    {
        var sale = await app.CreateSaleAsync(stock: 1);

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => BuyAsync($"sale={sale}&user=u{i}")));

        Assert.Single(answers, a => a.Code == HttpStatusCode.OK && a.Status == "reserved");
        Assert.Equal(199, answers.Count(a => a.Code == HttpStatusCode.Conflict && a.Status == "sold_out"));
        var audit = await app.AuditAsync(sale);
        Assert.Equal(1, audit.Counts.Held);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_sell_exactly_the_stock_when_1000_buyers_each_send_3_parallel_requests()
    {
        var sale = await app.CreateSaleAsync(stock: 100);

        var answers = await Task.WhenAll(
            Enumerable.Range(0, 1000).SelectMany(u => Enumerable.Range(0, 3).Select(k => BuyUntilAdmittedAsync($"sale={sale}&user=u{u}&requestId=u{u}-{k}"))));

        var reserved = answers.Where(a => a.Status == "reserved").ToList();
        Assert.Equal(100, reserved.Count);
        Assert.Equal(100, reserved.Select(a => a.User).Distinct().Count());
        Assert.Equal(100, reserved.Select(a => a.OrderId).Distinct().Count());
        Assert.All(answers.Except(reserved), a => Assert.True(a.Status is "sold_out" or "limit_reached", a.Status));
        var audit = await app.AuditAsync(sale);
        Assert.Equal(100, audit.Counts.Held);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_return_the_first_outcome_and_deduct_once_when_a_request_id_is_retried()
    {
        var sale = await app.CreateSaleAsync(stock: 10);

        var first = await BuyAsync($"sale={sale}&user=alice&requestId=r1");
        var retries = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => BuyAsync($"sale={sale}&user=alice&requestId=r1")));

        Assert.Equal("reserved", first.Status);
        Assert.All(retries, r => Assert.Equal((HttpStatusCode.OK, first.OrderId), (r.Code, r.OrderId)));
        Assert.Equal(1, (await app.AuditAsync(sale)).Counts.Held);
    }

    [Fact]
    public async Task Should_return_the_reservation_again_when_a_request_id_is_retried_after_sell_out()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        var first = await BuyAsync($"sale={sale}&user=dora&requestId=r1");
        var soldOut = await BuyAsync($"sale={sale}&user=eve");

        var retried = await BuyAsync($"sale={sale}&user=dora&requestId=r1");
        var otherRetry = await BuyAsync($"sale={sale}&user=eve&requestId=never-sent-before");

        Assert.Equal(("reserved", "sold_out"), (first.Status, soldOut.Status));
        Assert.Equal((HttpStatusCode.OK, first.OrderId), (retried.Code, retried.OrderId));
        Assert.Equal("sold_out", otherRetry.Status);
        Assert.Equal(1, (await app.AuditAsync(sale)).Counts.Held);
    }

    [Fact]
    public async Task Should_answer_every_buyer_without_a_reserve_call_after_sell_out_and_a_reserved_buyers_retry_with_its_order()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        var winner = await BuyAsync($"sale={sale}&user=first&requestId=nginx-first");
        await BuyAsync($"sale={sale}&user=second"); // the node has seen the sell-out
        await Poll.UntilAsync(async () => (await BuyAsync($"sale={sale}&user=probe&requestId=p")).Status == "sold_out",
            TimeSpan.FromSeconds(10), "the node did not learn the sell-out");
        // The sale's own count of reserve script calls: the rest of Redis's traffic belongs to the order feed working
        // through earlier tests' sales of this shared node.
        var before = await ReserveCallsAsync(sale);

        var answers = new List<Answer>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add(await BuyAsync($"sale={sale}&user=p{i}&requestId=client{i}"));
            answers.Add(await BuyAsync($"sale={sale}&user=q{i}"));
        }
        var retry = await BuyAsync($"sale={sale}&user=first&requestId=nginx-first");

        Assert.All(answers, a => Assert.Equal("sold_out", a.Status));
        Assert.Equal(("reserved", winner.OrderId), (retry.Status, retry.OrderId));
        Assert.Equal(before, await ReserveCallsAsync(sale));
    }

    private async Task<long> ReserveCallsAsync(string sale) =>
        (long)await app.Redis.Database.HashGetAsync(Spike.Sales.SaleKeys.Meta(sale), Spike.Sales.SaleKeys.ReserveCallsField);

    [Fact]
    public async Task Should_answer_limit_reached_when_a_user_buys_again_with_a_new_request_id()
    {
        var sale = await app.CreateSaleAsync(stock: 10);
        await BuyAsync($"sale={sale}&user=bob&requestId=r1");

        var second = await BuyAsync($"sale={sale}&user=bob&requestId=r2");

        Assert.Equal((HttpStatusCode.Conflict, "limit_reached"), (second.Code, second.Status));
        (await app.AuditAsync(sale)).AssertConsistent();
    }

    [Fact]
    public async Task Should_accept_a_json_body_when_buying_with_post()
    {
        var sale = await app.CreateSaleAsync(stock: 5, perUserLimit: 2);

        using var response = await _client.PostAsJsonAsync("/buy/ticket", new { sale, user = "carol", quantity = 2, requestId = "p1" });

        var answer = await ReadAsync(response);
        Assert.Equal((HttpStatusCode.OK, "reserved"), (answer.Code, answer.Status));
        Assert.Equal(2, (await app.AuditAsync(sale)).Counts.Held);
    }

    [Fact]
    public async Task Should_answer_unknown_sale_when_the_sale_does_not_exist()
    {
        var answer = await BuyAsync("sale=nosuchsale&user=u1");

        Assert.Equal((HttpStatusCode.NotFound, "unknown_sale"), (answer.Code, answer.Status));
        Assert.False(await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta("nosuchsale")));
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "user", "" },
        { "user", "user=" },
        { "color", "user=u1&color=red" },
        { "quantity", "user=u1&quantity=0" },
        { "quantity", "user=u1&quantity=-1" },
        { "quantity", "user=u1&quantity=abc" },
        { "quantity", "user=u1&quantity=2" },
        { "user", "user=" + new string('x', 129) },
        { "requestId", "user=u1&requestId=" + new string('r', 129) },
        { "user", "user=a%0Ab" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Should_answer_400_naming_the_field_and_deduct_nothing_when_the_query_is_bad(string field, string query)
    {
        var sale = await app.CreateSaleAsync(stock: 5);

        using var response = await _client.GetAsync($"/buy/ticket?sale={sale}&{query}");

        await AssertBadRequestAsync(response, field);
        await AssertUntouchedAsync(sale, stock: 5);
    }

    [Theory]
    [InlineData("sale", "bad sale!")]
    [InlineData("sale", "")]
    public async Task Should_answer_400_when_the_sale_id_is_bad(string field, string sale)
    {
        using var response = await _client.GetAsync($"/buy/ticket?sale={Uri.EscapeDataString(sale)}&user=u1");

        await AssertBadRequestAsync(response, field);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Should_answer_400_and_keep_the_nodes_stock_actors_when_the_sale_id_ends_with_a_newline(string method)
    {
        var sale = await app.CreateSaleAsync(stock: 5);
        Assert.Equal("reserved", (await BuyAsync($"sale={sale}&user=before")).Status);
        var stockActor = await StockActorAsync(sale);

        using var response = method == "GET"
            ? await _client.GetAsync("/buy/ticket?sale=abc%0A&user=x")
            : await _client.PostAsync("/buy/ticket", new StringContent("""{"sale":"abc\n","user":"x"}""", Encoding.UTF8, "application/json"));

        await AssertBadRequestAsync(response, "sale");
        Assert.Equal("reserved", (await BuyAsync($"sale={sale}&user=after")).Status);
        Assert.Equal(stockActor, await StockActorAsync(sale));
    }

    /// <summary>The node's StockActor of the sale: a restarted StockManager would have replaced it.</summary>
    private Task<IActorRef> StockActorAsync(string sale) =>
        app.Services.GetRequiredService<ActorSystem>().ActorSelection($"/user/stock/{sale}").ResolveOne(TimeSpan.FromSeconds(3));

    [Fact]
    public async Task Should_answer_400_naming_the_field_when_a_query_field_is_repeated()
    {
        var sale = await app.CreateSaleAsync(stock: 5);

        using var response = await _client.GetAsync($"/buy/ticket?sale={sale}&user=a&user=b");

        await AssertBadRequestAsync(response, "user");
        await AssertUntouchedAsync(sale, stock: 5);
    }

    [Fact]
    public async Task Should_answer_400_naming_the_field_when_a_json_id_is_a_lone_surrogate()
    {
        var sale = await app.CreateSaleAsync(stock: 5);
        var body = $$"""{"sale":"{{sale}}","user":"u\ud800"}""";

        using var response = await _client.PostAsync("/buy/ticket", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertBadRequestAsync(response, "user");
        await AssertUntouchedAsync(sale, stock: 5);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "body", "not json" },
        { "body", "[1,2]" },
        { "body", "null" },
        { "color", """{"user":"u1","color":"red"}""" },
        { "quantity", """{"user":"u1","quantity":"many"}""" },
        { "quantity", """{"user":"u1","quantity":0}""" },
        { "user", """{"quantity":1}""" },
        { "body", "{\"user\":\"" + new string('x', 5000) + "\"}" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Should_answer_400_naming_the_field_and_deduct_nothing_when_the_body_is_bad(string field, string body)
    {
        var sale = await app.CreateSaleAsync(stock: 5);
        var withSale = body.StartsWith("{\"", StringComparison.Ordinal) ? body.Insert(1, $"\"sale\":\"{sale}\",") : body;

        using var response = await _client.PostAsync("/buy/ticket", new StringContent(withSale, Encoding.UTF8, "application/json"));

        await AssertBadRequestAsync(response, field);
        await AssertUntouchedAsync(sale, stock: 5);
    }

    private static async Task AssertBadRequestAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem does not name '{field}': {problem}");
    }

    private async Task AssertUntouchedAsync(string sale, long stock)
    {
        var audit = await app.AuditAsync(sale);
        Assert.Equal((stock, 0L, stock), (audit.Counts.Total, audit.Counts.Held, audit.Counts.Available));
        Assert.Equal(0, await app.Redis.Database.HashLengthAsync(Spike.Sales.SaleKeys.Requests(sale)));
    }

    [Fact]
    public async Task Should_answer_not_enough_left_at_once_and_still_sell_the_rest_when_a_buyer_asks_for_more_than_remains()
    {
        var sale = await app.CreateSaleAsync(stock: 3, perUserLimit: 4);

        var big = await BuyAsync($"sale={sale}&user=big&quantity=4&requestId=big-1");
        var retry = await BuyAsync($"sale={sale}&user=big&quantity=4&requestId=big-1");
        var fits = await BuyAsync($"sale={sale}&user=small&quantity=3&requestId=small-1");

        Assert.Equal((HttpStatusCode.Conflict, "not_enough_left"), (big.Code, big.Status));
        Assert.Equal((HttpStatusCode.Conflict, "not_enough_left"), (retry.Code, retry.Status));
        Assert.Equal((HttpStatusCode.OK, "reserved"), (fits.Code, fits.Status));
        var audit = await app.AuditAsync(sale);
        Assert.Equal(3, audit.Counts.Held);
        audit.AssertConsistent();
    }
}
