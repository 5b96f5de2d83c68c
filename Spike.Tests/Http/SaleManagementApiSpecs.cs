using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Spike.Actors.Orders;
using Spike.Persistence.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Http;

/// <summary>Listing, closing and deleting sales through the admin API, against a real node and redis-server.</summary>
[Collection(SpikeAppCollection.Name)]
public sealed class SaleManagementApiSpecs(SpikeAppFixture app)
{
    private readonly HttpClient _client = app.Client;

    private IDatabase Db => app.Redis.Database;

    private sealed record Answer(HttpStatusCode Code, JsonElement Body)
    {
        public string? this[string field] => Body.TryGetProperty(field, out var value) ? value.ToString() : null;
    }

    [Fact]
    public async Task Should_list_every_sale_with_its_counts_schedule_and_state()
    {
        var open = await app.CreateSaleAsync(stock: 5);
        var soldOut = await app.CreateSaleAsync(stock: 1);
        await BuyAsync(soldOut, "only");
        var later = await PutAsync("""{"stock":3,"opensAt":"2031-01-01T00:00:00Z"}""");
        var closed = await app.CreateSaleAsync(stock: 2);
        await AdminAsync(HttpMethod.Post, $"/admin/sales/{closed}/close");

        var list = await AdminAsync(HttpMethod.Get, "/admin/sales");

        Assert.Equal(HttpStatusCode.OK, list.Code);
        var sales = list.Body.GetProperty("sales").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!);
        Assert.Equal("open", sales[open].GetProperty("state").GetString());
        Assert.Equal(("sold_out", 1L, 0L), (sales[soldOut].GetProperty("state").GetString(), sales[soldOut].GetProperty("held").GetInt64(), sales[soldOut].GetProperty("available").GetInt64()));
        Assert.Equal(("not_open", "2031-01-01T00:00:00+00:00"), (sales[later].GetProperty("state").GetString(), sales[later].GetProperty("opensAt").GetString()));
        Assert.Equal("closed", sales[closed].GetProperty("state").GetString());
        Assert.True(sales[closed].TryGetProperty("closesAt", out _));
        Assert.False(sales[open].TryGetProperty("closesAt", out _));
        Assert.Equal(sales.Keys.Order(StringComparer.Ordinal), list.Body.GetProperty("sales").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Where(sales.ContainsKey));
    }

    [Fact]
    public async Task Should_answer_closed_to_every_new_buyer_and_the_order_to_a_reserved_buyer_after_a_sale_is_closed_early()
    {
        var sale = await app.CreateSaleAsync(stock: 100);
        var reserved = await BuyAsync(sale, "early", "r-early");
        Assert.Equal("reserved", reserved["status"]);

        var closed = await AdminAsync(HttpMethod.Post, $"/admin/sales/{sale}/close");

        Assert.Equal((HttpStatusCode.OK, "closed"), (closed.Code, closed["state"]));
        await Poll.UntilAsync(async () => (await BuyAsync(sale, "late"))["status"] == "closed", TimeSpan.FromSeconds(5), "the node still sells");
        var withId = await BuyAsync(sale, "late2", "r-late2");
        var retry = await BuyAsync(sale, "early", "r-early");
        Assert.Equal((HttpStatusCode.Conflict, "closed"), (withId.Code, withId["status"]));
        Assert.Equal((HttpStatusCode.OK, reserved["orderId"]), (retry.Code, retry["orderId"]));
        Assert.Equal(1, (await app.AuditAsync(sale)).Counts.Held);
    }

    [Fact]
    public async Task Should_refuse_to_delete_a_sale_that_still_sells_and_one_with_an_open_order_and_then_delete_it_once_settled()
    {
        var sale = await app.CreateSaleAsync(stock: 10);
        var reserved = await BuyAsync(sale, "payer", "r-payer");
        var stillSelling = await AdminAsync(HttpMethod.Delete, $"/admin/sales/{sale}");
        await AdminAsync(HttpMethod.Post, $"/admin/sales/{sale}/close");
        var ordersOpen = await AdminAsync(HttpMethod.Delete, $"/admin/sales/{sale}");
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (stillSelling.Code, stillSelling["status"]));
        Assert.Contains("still selling", stillSelling["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, ordersOpen.Code);
        Assert.Contains("orders are still open", ordersOpen["detail"], StringComparison.Ordinal);
        Assert.True(await Db.KeyExistsAsync(SaleKeys.Reservations(sale)));

        var orderId = reserved["orderId"]!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/orders/{orderId}/pay", """{"user":"payer"}""", admin: false)).Code);
        var journal = PersistenceKeys.Events(SaleKeys.Prefix, OrderActor.PersistenceIdPrefix + orderId);
        Assert.True(await Db.KeyExistsAsync(journal));
        var deleted = await AdminAsync(HttpMethod.Delete, $"/admin/sales/{sale}");

        Assert.Equal((HttpStatusCode.OK, "deleted"), (deleted.Code, deleted["status"]));
        Assert.All(SaleKeys.All(sale), key => Assert.False(Db.KeyExists(key), key));
        Assert.False(await Db.KeyExistsAsync(journal));
        Assert.False(await Db.SetContainsAsync(SaleKeys.Sales, sale));
        Assert.Equal(HttpStatusCode.NotFound, (await AdminAsync(HttpMethod.Get, $"/admin/sales/{sale}")).Code);
        await Poll.UntilAsync(async () => (await BuyAsync(sale, "after", "r-after"))["status"] == "unknown_sale", TimeSpan.FromSeconds(5), "the node still knows the sale");
    }

    [Fact]
    public async Task Should_delete_a_sold_out_sale_whose_orders_are_settled_and_leave_another_sale_as_it_was()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        var other = await app.CreateSaleAsync(stock: 5);
        var reserved = await BuyAsync(sale, "buyer", "r-buyer");
        await BuyAsync(other, "buyer", "r-buyer");
        await SendAsync(HttpMethod.Post, $"/orders/{reserved["orderId"]}/pay", """{"user":"buyer"}""", admin: false);
        var otherKeys = SaleKeys.All(other).Where(key => Db.KeyExists(key)).ToArray();
        var otherMeta = await Db.HashGetAllAsync(SaleKeys.Meta(other));

        var deleted = await AdminAsync(HttpMethod.Delete, $"/admin/sales/{sale}");

        Assert.Equal(HttpStatusCode.OK, deleted.Code);
        Assert.NotEmpty(otherKeys);
        Assert.All(otherKeys, key => Assert.True(Db.KeyExists(key), key));
        Assert.Equal(otherMeta.Where(e => e.Name != SaleKeys.ReserveCallsField).OrderBy(e => e.Name.ToString()),
            (await Db.HashGetAllAsync(SaleKeys.Meta(other))).Where(e => e.Name != SaleKeys.ReserveCallsField).OrderBy(e => e.Name.ToString()));
        Assert.True(await Db.SetContainsAsync(SaleKeys.Sales, other));
        Assert.Equal("reserved", (await BuyAsync(other, "next", "r-next"))["status"]);
    }

    [Theory]
    [InlineData("POST", "/admin/sales/bad$id/close")]
    [InlineData("DELETE", "/admin/sales/bad$id")]
    [InlineData("POST", "/admin/sales/-leading/close")]
    public async Task Should_answer_400_naming_the_id_when_closing_or_deleting_with_a_bad_id(string method, string path)
    {
        var answer = await AdminAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Code);
        Assert.Contains("id", answer.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Should_answer_404_and_create_nothing_when_closing_or_deleting_an_unknown_sale()
    {
        var sale = "ghost" + Guid.NewGuid().ToString("N")[..8];

        var closed = await AdminAsync(HttpMethod.Post, $"/admin/sales/{sale}/close");
        var deleted = await AdminAsync(HttpMethod.Delete, $"/admin/sales/{sale}");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (closed.Code, deleted.Code));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    [Theory]
    [InlineData("GET", "/admin/sales")]
    [InlineData("POST", "/admin/sales/{0}/close")]
    [InlineData("DELETE", "/admin/sales/{0}")]
    public async Task Should_answer_401_and_change_nothing_without_the_admin_token(string method, string path)
    {
        var sale = await app.CreateSaleAsync(stock: 0);
        using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, sale));

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(await Db.HashExistsAsync(SaleKeys.Meta(sale), SaleKeys.ClosesAtField));
        Assert.True(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    private async Task<Answer> BuyAsync(string sale, string user, string? requestId = null)
    {
        using var response = await _client.GetAsync($"/buy/ticket?sale={sale}&user={user}" + (requestId is null ? "" : $"&requestId={requestId}"));
        return new Answer(response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<string> PutAsync(string body)
    {
        var sale = "mgmt" + Guid.NewGuid().ToString("N")[..8];
        var answer = await SendAsync(HttpMethod.Put, $"/admin/sales/{sale}", body, admin: true);
        Assert.Equal(HttpStatusCode.Created, answer.Code);
        return sale;
    }

    private Task<Answer> AdminAsync(HttpMethod method, string path) => SendAsync(method, path, null, admin: true);

    private async Task<Answer> SendAsync(HttpMethod method, string path, string? body, bool admin)
    {
        using var request = admin ? Admin.Request(method, path) : new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}
