using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spike.Actors.Inventory;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Http;

[Collection(SpikeAppCollection.Name)]
public sealed class AdminApiSpecs(SpikeAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic dGVzdC1hZG1pbi10b2tlbg==")]
    [InlineData("Bearer test-admin-token-and-more")]   // the token is a prefix of it
    [InlineData("Bearer test-admin")]                  // a prefix of the token
    [InlineData("Bearer ")]
    [InlineData("bearer test-admin-token")]
    public async Task Should_answer_401_and_create_nothing_without_the_admin_token(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/sales/noauth") { Content = JsonContent.Create(new { stock = 5 }) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta("noauth")));
    }

    [Fact]
    public async Task Should_create_update_restock_and_report_a_sale()
    {
        var sale = await app.CreateSaleAsync(stock: 3);

        using var updated = await _client.SendAsync(Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}", new { stock = 4, perUserLimit = 2 }));
        using var restocked = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 6 }));
        using var read = await _client.SendAsync(Admin.Request(HttpMethod.Get, $"/admin/sales/{sale}"));

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, restocked.StatusCode);
        var body = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((10, 0, 10, 2), (body.GetProperty("total").GetInt64(), body.GetProperty("held").GetInt64(), body.GetProperty("available").GetInt64(), body.GetProperty("perUserLimit").GetInt32()));
    }

    [Fact]
    public async Task Should_reopen_a_sold_out_sale_when_stock_is_added()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        await _client.GetAsync($"/buy/ticket?sale={sale}&user=first");
        using var soldOut = await _client.GetAsync($"/buy/ticket?sale={sale}&user=second");
        Assert.Equal(HttpStatusCode.Conflict, soldOut.StatusCode);

        using var restock = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 1 }));

        Assert.Equal(HttpStatusCode.OK, restock.StatusCode);
        await AwaitReservedAsync($"/buy/ticket?sale={sale}&user=second&requestId=again");
        var audit = await app.AuditAsync(sale);
        Assert.Equal(2, audit.Counts.Held);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_refuse_a_stock_below_what_is_held()
    {
        var sale = await app.CreateSaleAsync(stock: 2);
        await _client.GetAsync($"/buy/ticket?sale={sale}&user=a");
        await _client.GetAsync($"/buy/ticket?sale={sale}&user=b");

        using var response = await _client.SendAsync(Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}", new { stock = 1 }));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var audit = await app.AuditAsync(sale);
        Assert.Equal((2L, 2L), (audit.Counts.Total, audit.Counts.Held));
    }

    [Fact]
    public async Task Should_answer_404_for_an_unknown_sale()
    {
        using var read = await _client.SendAsync(Admin.Request(HttpMethod.Get, "/admin/sales/neverexisted"));
        using var restock = await _client.SendAsync(Admin.Request(HttpMethod.Post, "/admin/sales/neverexisted/stock", new { add = 1 }));

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, restock.StatusCode);
    }

    [Theory]
    [InlineData("""{"stock":-1}""", "stock")]
    [InlineData("""{"perUserLimit":1}""", "stock")]
    [InlineData("""{"stock":5,"perUserLimit":0}""", "perUserLimit")]
    [InlineData("""{"stock":5,"paymentWindowSeconds":0}""", "paymentWindowSeconds")]
    [InlineData("""{"stock":5,"extra":1}""", "extra")]
    public async Task Should_answer_400_and_create_nothing_when_sale_settings_are_bad(string body, string field)
    {
        var sale = "bad" + Guid.NewGuid().ToString("N")[..8];
        var request = Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}");
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta(sale)));
    }

    [Fact]
    public async Task Should_answer_400_and_create_nothing_when_the_sale_id_in_the_path_ends_with_a_newline()
    {
        var sale = "bad" + Guid.NewGuid().ToString("N")[..8];

        using var put = await _client.SendAsync(Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}%0A", new { stock = 5 }));
        using var add = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}%0A/stock", new { add = 1 }));
        using var read = await _client.SendAsync(Admin.Request(HttpMethod.Get, $"/admin/sales/{sale}%0A"));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (put.StatusCode, add.StatusCode, read.StatusCode));
        Assert.False(await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta(sale + "\n")));
    }

    [Theory]
    [InlineData(SaleLimits.MaxTotal + 1)]
    [InlineData(long.MaxValue)]
    public async Task Should_answer_400_and_create_nothing_when_stock_is_above_the_maximum(long stock)
    {
        var sale = "big" + Guid.NewGuid().ToString("N")[..8];

        using var response = await _client.SendAsync(Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}", new { stock }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(SaleLimits.MaxTotal.ToString(CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta(sale)));
    }

    public static TheoryData<string, string> BadAdditions => new()
    {
        { """{"add":1000000000001}""", "add" },
        { """{"add":0}""", "add" },
        { """{"add":1,"operationId":""}""", "operationId" },
        { """{"add":1,"operationId":"op\n"}""", "operationId" },
        { "{\"add\":1,\"operationId\":\"" + new string('o', 129) + "\"}", "operationId" },
    };

    [Theory]
    [MemberData(nameof(BadAdditions))]
    public async Task Should_answer_400_and_add_nothing_when_an_addition_or_its_operation_id_is_bad(string body, string field)
    {
        var sale = await app.CreateSaleAsync(stock: 3);
        var request = Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock");
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem does not name '{field}': {problem}");
        Assert.Equal(3, (await app.AuditAsync(sale)).Counts.Total);
    }

    [Fact]
    public async Task Should_answer_409_and_add_nothing_when_the_total_would_exceed_the_maximum()
    {
        var sale = await app.CreateSaleAsync(stock: SaleLimits.MaxTotal - 5);

        using var above = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 6 }));
        var aboveBody = await above.Content.ReadFromJsonAsync<JsonElement>();
        var totalAfterRefusal = (await app.AuditAsync(sale)).Counts.Total;
        using var upToTheMaximum = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 5 }));

        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (above.StatusCode, aboveBody.GetProperty("status").GetString()));
        Assert.Contains("maximum", aboveBody.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(SaleLimits.MaxTotal - 5, totalAfterRefusal);
        Assert.Equal(HttpStatusCode.OK, upToTheMaximum.StatusCode);
        var audit = await app.AuditAsync(sale);
        Assert.Equal(SaleLimits.MaxTotal, audit.Counts.Total);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_add_once_when_stock_is_added_again_with_the_same_operation_id()
    {
        var sale = await app.CreateSaleAsync(stock: 3);

        using var first = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 2, operationId = "restock-1" }));
        using var repeat = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 2, operationId = "restock-1" }));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeat.StatusCode));
        Assert.Equal(5, (await repeat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("total").GetInt64());
        var audit = await app.AuditAsync(sale);
        Assert.Equal(5, audit.Counts.Total);
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_answer_503_naming_the_operation_id_and_add_once_when_an_addition_times_out_and_is_retried()
    {
        var sale = await app.CreateSaleAsync(stock: 3);
        // The script runs after the node gave up on it. 5 s: the node's client checks its 2 s timeout about once a second,
        // so it may give up only after 3 s; a 3 s sleep could end first and let the addition answer 200.
        var stall = app.Redis.Database.ExecuteAsync("DEBUG", "SLEEP", "5");

        using var timedOut = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 2, operationId = "restock-1" }));
        // The stall is over (the fixture's own client may or may not time out on it first, depending on
        // when its timeout check runs): whatever the node did meanwhile has reached Redis.
        await Record.ExceptionAsync(() => stall);
        var retried = await Poll.UntilResultAsync<HttpStatusCode>(async () =>
            {
                using var retry = await _client.SendAsync(Admin.Request(HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 2, operationId = "restock-1" }));
                return retry.StatusCode == HttpStatusCode.ServiceUnavailable ? null : retry.StatusCode;
            },
            TimeSpan.FromSeconds(15), "the retry with the same operationId was never answered");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.NotNull(timedOut.Headers.RetryAfter);
        var body = await timedOut.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unavailable", body.GetProperty("status").GetString());
        Assert.Contains("same operationId", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, retried);
        var audit = await app.AuditAsync(sale);
        Assert.Equal(5, audit.Counts.Total);
        audit.AssertConsistent();
    }

    /// <summary>Back-in-stock reaches the node's StockActor through pub-sub, asynchronously: poll with a deadline.</summary>
    private async Task AwaitReservedAsync(string url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await _client.GetAsync(url);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"still {response.StatusCode} after 10s");
            await Task.Delay(50);
        }
    }
}
