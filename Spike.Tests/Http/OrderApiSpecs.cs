using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

[Collection(SpikeAppCollection.Name)]
public sealed class OrderApiSpecs(SpikeAppFixture app)
{
    /// <summary>How long a 503 is retried before the spec fails with the node's warnings, and the client's pause between tries.</summary>
    private static readonly TimeSpan UnavailableFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long the order feed may take to reach a spec's sale: the node is shared, and the feed works through the
    /// orders of the specs before (a thousand of them, on a slow machine) with a limited number of asks at once.
    /// </summary>
    private static readonly TimeSpan FeedPatience = TimeSpan.FromSeconds(60);

    private readonly HttpClient _client = app.Client;

    private sealed record Answer(HttpStatusCode Code, JsonElement Body)
    {
        public string? this[string field] => Body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>
    /// One request, sent again while the node answers 503 (as a client does: every order command and a buy with its
    /// requestId may be repeated). A spec that still gets 503 after <see cref="UnavailableFor"/> fails with the node's
    /// last warnings, so that the run carries its evidence (such a run once showed the order journal's breaker open).
    /// </summary>
    private async Task<Answer> SendAsync(HttpMethod method, string path, object? body = null)
    {
        var deadline = DateTime.UtcNow + UnavailableFor;
        while (true)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await _client.SendAsync(request);
            var answer = new Answer(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
            if (answer.Code != HttpStatusCode.ServiceUnavailable)
            {
                return answer;
            }
            if (DateTime.UtcNow > deadline)
            {
                var warnings = string.Join('\n', app.NodeLogs.Entries.TakeLast(30));
                Assert.Fail($"{method} {path} was answered 503 for {UnavailableFor}; the node's last warnings:\n{warnings}");
            }
            await Task.Delay(RetryPause);
        }
    }

    private Task<Answer> GetAsync(string orderId) => SendAsync(HttpMethod.Get, $"/orders/{orderId}");

    private Task<Answer> PayAsync(string orderId, string user) => SendAsync(HttpMethod.Post, $"/orders/{orderId}/pay", new { user });

    private Task<Answer> CancelAsync(string orderId, string user) => SendAsync(HttpMethod.Post, $"/orders/{orderId}/cancel", new { user });

    private async Task<Answer> BuyAsync(string sale, string user, string? requestId = null) =>
        await SendAsync(HttpMethod.Get, $"/buy/ticket?sale={sale}&user={user}&requestId={requestId ?? Guid.NewGuid().ToString("N")}");

    private async Task<string> CreateSaleAsync(long stock, int paymentWindowSeconds = 300)
    {
        var sale = "o" + Guid.NewGuid().ToString("N")[..12];
        using var request = Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}", new { stock, perUserLimit = 1, paymentWindowSeconds });
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return sale;
    }

    private async Task<string> ReserveAsync(string sale, string user)
    {
        var bought = await BuyAsync(sale, user);
        Assert.Equal((HttpStatusCode.OK, "reserved"), (bought.Code, bought["status"]));
        return bought["orderId"]!;
    }

    private async Task<(long Held, long Available)> CountsAsync(string sale)
    {
        var meta = await app.Redis.Database.HashGetAsync(SaleKeys.Meta(sale), [SaleKeys.HeldField, SaleKeys.AvailableField]);
        return ((long)meta[0], (long)meta[1]);
    }

    [Fact]
    public async Task Should_show_the_reservation_as_a_reserved_order_when_first_read()
    {
        var sale = await CreateSaleAsync(stock: 3);
        var orderId = await ReserveAsync(sale, "alice");

        var order = await GetAsync(orderId);

        Assert.Equal(HttpStatusCode.OK, order.Code);
        Assert.Equal((orderId, sale, "alice", "reserved"), (order["orderId"], order["sale"], order["user"], order["state"]));
        Assert.Equal(1, order.Body.GetProperty("quantity").GetInt32());
        Assert.True(order.Body.GetProperty("payBy").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(4));
    }

    [Fact]
    public async Task Should_pay_once_answer_paid_again_and_refuse_a_cancel_when_paid()
    {
        var sale = await CreateSaleAsync(stock: 3);
        var orderId = await ReserveAsync(sale, "bob");

        var paid = await PayAsync(orderId, "bob");
        var again = await PayAsync(orderId, "bob");
        var cancel = await CancelAsync(orderId, "bob");

        Assert.Equal((HttpStatusCode.OK, "paid"), (paid.Code, paid["state"]));
        Assert.Equal((HttpStatusCode.OK, "paid"), (again.Code, again["state"]));
        Assert.Equal((HttpStatusCode.Conflict, "already_paid"), (cancel.Code, cancel["status"]));
        Assert.Equal((1, 2), await CountsAsync(sale));
    }

    [Fact]
    public async Task Should_give_the_ticket_back_let_the_buyer_buy_again_and_refuse_a_payment_when_cancelled()
    {
        var sale = await CreateSaleAsync(stock: 1);
        var orderId = await ReserveAsync(sale, "carol");

        var cancelled = await CancelAsync(orderId, "carol");
        var pay = await PayAsync(orderId, "carol");

        Assert.Equal((HttpStatusCode.OK, "cancelled"), (cancelled.Code, cancelled["state"]));
        Assert.Equal((HttpStatusCode.Conflict, "already_cancelled"), (pay.Code, pay["status"]));
        Assert.Equal((0, 1), await CountsAsync(sale));
        // The node learns the ticket is back a moment after the cancel is answered (as after an expiry, below).
        await Poll.UntilAsync(async () => (await BuyAsync(sale, "carol"))["status"] == "reserved", TimeSpan.FromSeconds(10), "the cancelled ticket was not sold again");
        Assert.Equal((1, 0), await CountsAsync(sale));
        (await app.AuditAsync(sale)).AssertConsistent();
    }

    [Fact]
    public async Task Should_expire_unpaid_refuse_the_late_payment_and_sell_the_ticket_again_when_the_deadline_passes()
    {
        var sale = await CreateSaleAsync(stock: 1, paymentWindowSeconds: 1);
        var orderId = await ReserveAsync(sale, "dave");
        Assert.Equal("reserved", (await GetAsync(orderId))["state"]);
        Assert.Equal("sold_out", (await BuyAsync(sale, "erin"))["status"]);

        await Poll.UntilAsync(async () => (await GetAsync(orderId))["state"] == "expired", FeedPatience, "the order did not expire");
        var pay = await PayAsync(orderId, "dave");

        Assert.Equal((HttpStatusCode.Conflict, "already_expired"), (pay.Code, pay["status"]));
        // Every node learns the sale is back in stock; a fresh request id each time, as a refusal is kept per request.
        await Poll.UntilAsync(async () => (await BuyAsync(sale, "erin"))["status"] == "reserved", TimeSpan.FromSeconds(10), "the released ticket was not sold again");
        Assert.Equal((1, 0), await CountsAsync(sale));
        (await app.AuditAsync(sale)).AssertConsistent();
    }

    [Fact]
    public async Task Should_report_reservations_payments_releases_and_created_orders_when_the_sale_is_read()
    {
        var sale = await CreateSaleAsync(stock: 3);
        var orderIds = new[] { await ReserveAsync(sale, "ann"), await ReserveAsync(sale, "bob"), await ReserveAsync(sale, "cy") };
        Assert.Equal("paid", (await PayAsync(orderIds[0], "ann"))["state"]);
        Assert.Equal("cancelled", (await CancelAsync(orderIds[1], "bob"))["state"]);

        JsonElement view = default;
        await Poll.UntilAsync(async () =>
        {
            using var response = await _client.SendAsync(Admin.Request(HttpMethod.Get, $"/admin/sales/{sale}"));
            view = await response.Content.ReadFromJsonAsync<JsonElement>();
            return view.GetProperty("orderLag").GetInt64() == 0;
        }, FeedPatience, "the order feed did not create the sale's orders");

        long Field(string name) => view.GetProperty(name).GetInt64();
        Assert.Equal((3, 1, 1, 3), (Field("reserved"), Field("paid"), Field("released"), Field("orders")));
        Assert.Equal((2, 1), (Field("held"), Field("available")));
        Assert.InRange(Field("reserveCalls"), 1, 3); // three buys one after another: a batch each, unless merged
    }

    [Fact]
    public async Task Should_expire_each_unpaid_order_once_and_sell_its_ticket_to_another_buyer_with_the_counts_right_throughout()
    {
        var sale = await CreateSaleAsync(stock: 5, paymentWindowSeconds: 2);
        var orderIds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            orderIds.Add(await ReserveAsync(sale, $"first{i}"));
        }
        Assert.Equal("paid", (await PayAsync(orderIds[0], "first0"))["state"]);
        Assert.Equal("paid", (await PayAsync(orderIds[1], "first1"))["state"]);

        await Poll.UntilAsync(async () =>
        {
            var audit = await app.AuditAsync(sale);
            audit.AssertConsistent(); // held + available == total and every counter right, at every look
            return audit.Counts.Expired == 3;
        }, FeedPatience, "the three unpaid orders did not expire");
        var second = new List<string>();
        await Poll.UntilAsync(async () =>
        {
            var bought = await BuyAsync(sale, $"second{second.Count}");
            if (bought["status"] == "reserved")
            {
                second.Add(bought["orderId"]!);
            }
            return second.Count == 3;
        }, TimeSpan.FromSeconds(10), "the released tickets were not sold again");

        Assert.Equal("sold_out", (await BuyAsync(sale, "late"))["status"]);
        var final = await app.AuditAsync(sale);
        final.AssertConsistent();
        Assert.Equal((5L, 2L, 0L, 3L, 8L), (final.Counts.Held, final.Counts.Paid, final.Counts.Cancelled, final.Counts.Expired, final.Counts.Reservations));
        foreach (var unpaid in orderIds.Skip(2))
        {
            Assert.Equal("expired", (await GetAsync(unpaid))["state"]);
        }
    }

    [Fact]
    public async Task Should_report_a_clean_sale_unknown_sale_and_bad_id_when_reconciling()
    {
        var sale = await CreateSaleAsync(stock: 2);
        var orderId = await ReserveAsync(sale, "kim");
        Assert.Equal("paid", (await PayAsync(orderId, "kim"))["state"]);
        await Poll.UntilAsync(async () => (await AdminSendAsync(HttpMethod.Post, $"/admin/sales/{sale}/reconcile")).Body.GetProperty("clean").GetBoolean(),
            FeedPatience, "the sale did not reconcile clean once the feed created its order");

        var unknown = await AdminSendAsync(HttpMethod.Post, "/admin/sales/no-such-sale/reconcile");
        var bad = await AdminSendAsync(HttpMethod.Post, "/admin/sales/bad%20id/reconcile");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (unknown.Code, bad.Code));
    }

    private async Task<Answer> AdminSendAsync(HttpMethod method, string path)
    {
        using var response = await _client.SendAsync(Admin.Request(method, path));
        return new Answer(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task Should_answer_404_when_no_reservation_has_the_order_id()
    {
        var sale = await CreateSaleAsync(stock: 1);

        var order = await GetAsync(sale + "-7");
        var pay = await PayAsync(sale + "-7", "erin");

        Assert.Equal((HttpStatusCode.NotFound, "unknown_order"), (order.Code, order["status"]));
        Assert.Equal((HttpStatusCode.NotFound, "unknown_order"), (pay.Code, pay["status"]));
    }

    [Theory]
    [InlineData("nodash")]
    [InlineData("sale-")]
    [InlineData("sale-007")]
    [InlineData("sale-x")]
    [InlineData("-5")]
    [InlineData("bad%20sale-5")]
    public async Task Should_answer_400_naming_the_id_when_it_is_not_an_order_id(string orderId)
    {
        var order = await GetAsync(orderId);
        var cancel = await CancelAsync(orderId, "frank");

        Assert.Equal(HttpStatusCode.BadRequest, order.Code);
        Assert.Equal(HttpStatusCode.BadRequest, cancel.Code);
        Assert.True(order.Body.GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task Should_refuse_403_and_change_nothing_when_another_user_pays_or_cancels()
    {
        var sale = await CreateSaleAsync(stock: 2);
        var orderId = await ReserveAsync(sale, "grace");

        var pay = await PayAsync(orderId, "mallory");
        var cancel = await CancelAsync(orderId, "mallory");
        var order = await GetAsync(orderId);

        Assert.Equal((HttpStatusCode.Forbidden, "not_your_order"), (pay.Code, pay["status"]));
        Assert.Equal((HttpStatusCode.Forbidden, "not_your_order"), (cancel.Code, cancel["status"]));
        Assert.Equal("reserved", order["state"]);
        Assert.Equal((1L, 1L), await CountsAsync(sale));
    }

    [Fact]
    public async Task Should_answer_400_naming_the_user_when_the_payment_names_none()
    {
        var sale = await CreateSaleAsync(stock: 1);
        var orderId = await ReserveAsync(sale, "heidi");

        var pay = await SendAsync(HttpMethod.Post, $"/orders/{orderId}/pay", new { });

        Assert.Equal(HttpStatusCode.BadRequest, pay.Code);
        Assert.True(pay.Body.GetProperty("errors").TryGetProperty("user", out _));
        Assert.Equal("reserved", (await GetAsync(orderId))["state"]);
    }
}
