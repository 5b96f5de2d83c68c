using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Http;

/// <summary>A sale's opening and closing through the HTTP API, against a real node and redis-server.</summary>
[Collection(SpikeAppCollection.Name)]
public sealed class SaleScheduleApiSpecs(SpikeAppFixture app)
{
    /// <summary>Buyer loops hammering across an instant, each with one request in flight.</summary>
    private const int Crowd = 24;

    private readonly HttpClient _client = app.Client;

    private sealed record Answer(HttpStatusCode Code, string Status, string? OrderId, long SentAtUnixMs);

    [Theory]
    [InlineData("""{"stock":5,"opensAt":"tomorrow"}""", "opensAt")]
    [InlineData("""{"stock":5,"opensAt":"2026-13-01T00:00:00Z"}""", "opensAt")]
    [InlineData("""{"stock":5,"opensAt":1800000000000}""", "opensAt")]
    [InlineData("""{"stock":5,"closesAt":"2026-05-01"}""", "closesAt")]
    [InlineData("""{"stock":5,"opensAt":"2030-05-01T10:00:00Z","closesAt":"2030-05-01T10:00:00Z"}""", "closesAt")]
    [InlineData("""{"stock":5,"opensAt":"2030-05-01T10:00:00Z","closesAt":"2030-05-01T11:59:59+02:00"}""", "closesAt")]
    public async Task Should_answer_400_and_create_nothing_when_the_schedule_is_bad(string body, string field)
    {
        var sale = "sched" + Guid.NewGuid().ToString("N")[..8];

        using var response = await PutAsync(sale, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await app.Redis.Database.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    [Fact]
    public async Task Should_store_the_schedule_and_report_it_with_the_state_when_a_sale_opens_later()
    {
        var sale = "sched" + Guid.NewGuid().ToString("N")[..8];

        using var created = await PutAsync(sale, """{"stock":5,"opensAt":"2030-05-01T12:00:00+02:00","closesAt":"2030-05-01T11:00:00.5Z"}""");
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(DateTimeOffset.Parse("2030-05-01T10:00:00Z", CultureInfo.InvariantCulture), body.GetProperty("opensAt").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2030-05-01T11:00:00.5Z", CultureInfo.InvariantCulture), body.GetProperty("closesAt").GetDateTimeOffset());
        Assert.Equal("not_open", body.GetProperty("state").GetString());
        var stored = await app.Redis.Database.HashGetAsync(SaleKeys.Meta(sale), [SaleKeys.OpensAtField, SaleKeys.ClosesAtField]);
        Assert.Equal([new DateTimeOffset(2030, 5, 1, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), new DateTimeOffset(2030, 5, 1, 11, 0, 0, 500, TimeSpan.Zero).ToUnixTimeMilliseconds()],
            stored.Select(v => (long)v));
    }

    [Fact]
    public async Task Should_reserve_nothing_before_the_opening_and_sell_the_stock_right_after_when_buyers_hammer_across_it()
    {
        const int stock = 300;
        var opensAt = await RedisNowAsync() + 2_000;
        var sale = await CreateAsync(stock, opensAt: opensAt);
        var answers = new ConcurrentBag<Answer>();
        var reserveCallsBeforeOpening = -1L;

        var crowd = Task.WhenAll(Enumerable.Range(0, Crowd).Select(loop => BuyUntilAsync(sale, loop, answers, a => a.Status == "sold_out")));
        await Poll.UntilAsync(() => Task.FromResult(answers.Count(a => a.Status == "not_open") >= 200), TimeSpan.FromSeconds(10), "no not_open answers");
        if (await RedisNowAsync() < opensAt - 200)
        {
            reserveCallsBeforeOpening = (long)await app.Redis.Database.HashGetAsync(SaleKeys.Meta(sale), SaleKeys.ReserveCallsField);
        }
        await crowd.WaitAsync(TimeSpan.FromSeconds(60));

        var entries = await app.Redis.Database.StreamRangeAsync(SaleKeys.Orders(sale));
        Assert.Equal(stock, entries.Length);
        Assert.All(entries, e => Assert.True(EntryUnixMs(e) >= opensAt, $"reserved at {EntryUnixMs(e)}, before the opening at {opensAt}"));
        Assert.True(EntryUnixMs(entries[0]) - opensAt < 1_000, $"the first ticket sold {EntryUnixMs(entries[0]) - opensAt} ms after the opening");
        Assert.Equal(stock, answers.Count(a => a.Status == "reserved"));
        Assert.All(answers.Where(a => a.Status == "not_open"), a => Assert.Equal(HttpStatusCode.Conflict, a.Code));
        Assert.DoesNotContain(answers, a => a.Status is not ("not_open" or "reserved" or "sold_out"));
        Assert.NotEqual(-1, reserveCallsBeforeOpening); // the machine was too slow to look before the opening
        Assert.Equal(0, reserveCallsBeforeOpening); // not_open came from the node, not from Redis
        (await app.AuditAsync(sale)).AssertConsistent();
    }

    [Fact]
    public async Task Should_reserve_nothing_after_the_closing_and_keep_reserved_answers_when_buyers_hammer_across_it()
    {
        var closesAt = await RedisNowAsync() + 1_500;
        var sale = await CreateAsync(1_000_000, closesAt: closesAt);
        var answers = new ConcurrentBag<Answer>();

        await Task.WhenAll(Enumerable.Range(0, Crowd).Select(loop => BuyUntilAsync(sale, loop, answers, a => a.Status == "closed")))
            .WaitAsync(TimeSpan.FromSeconds(60));

        var entries = await app.Redis.Database.StreamRangeAsync(SaleKeys.Orders(sale));
        Assert.NotEmpty(entries);
        // A script decides at its start (Redis TIME) and stamps its entries as it writes them, so only the last
        // batch decided before the closing may carry the closing's millisecond or the next few: at most one
        // request per buyer loop, and none well after the closing.
        var stampedAtOrAfterClosing = entries.Where(e => EntryUnixMs(e) >= closesAt).ToList();
        Assert.True(stampedAtOrAfterClosing.Count <= Crowd, $"{stampedAtOrAfterClosing.Count} reservations stamped at or after the closing at {closesAt}");
        Assert.All(stampedAtOrAfterClosing, e => Assert.True(EntryUnixMs(e) < closesAt + 50, $"reserved at {EntryUnixMs(e)}, after the closing at {closesAt}"));
        Assert.Equal(entries.Length, answers.Count(a => a.Status == "reserved"));
        Assert.All(answers.Where(a => a.SentAtUnixMs >= closesAt + 50), a => Assert.Equal("closed", a.Status));
        var winner = answers.First(a => a.Status == "reserved");
        var audit = await app.AuditAsync(sale);
        audit.AssertConsistent();
        var record = ReservationRecord.Parse((await app.Redis.Database.HashGetAsync(SaleKeys.Reservations(sale), winner.OrderId!)).ToString());
        using var retry = await _client.GetAsync($"/buy/ticket?sale={sale}&user={record.User}&requestId={record.RequestId}");
        using var late = await _client.GetAsync($"/buy/ticket?sale={sale}&user=late&requestId=r-late");
        Assert.Equal((HttpStatusCode.OK, winner.OrderId), (retry.StatusCode, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("closed", (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    /// <summary>
    /// One buyer after another, each asking with its own request id until it gets a final answer (not_open is asked
    /// again at once: a crowd before the opening), until an answer is <paramref name="last"/>.
    /// </summary>
    private async Task BuyUntilAsync(string sale, int loop, ConcurrentBag<Answer> answers, Func<Answer, bool> last)
    {
        for (var buyer = 0; ; buyer++)
        {
            Answer answer;
            do
            {
                var sentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                using var response = await _client.GetAsync($"/buy/ticket?sale={sale}&user=b{loop}-{buyer}&requestId=r{loop}-{buyer}");
                var json = await response.Content.ReadFromJsonAsync<JsonElement>();
                answer = new Answer(response.StatusCode, json.GetProperty("status").GetString()!,
                    json.TryGetProperty("orderId", out var orderId) ? orderId.GetString() : null, sentAt);
                answers.Add(answer);
            }
            while (answer.Status == "not_open");
            if (last(answer))
            {
                return;
            }
        }
    }

    private async Task<string> CreateAsync(long stock, long? opensAt = null, long? closesAt = null)
    {
        var sale = "sched" + Guid.NewGuid().ToString("N")[..8];
        var body = JsonSerializer.Serialize(new
        {
            stock,
            opensAt = opensAt is { } o ? DateTimeOffset.FromUnixTimeMilliseconds(o).ToString("O", CultureInfo.InvariantCulture) : null,
            closesAt = closesAt is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c).ToString("O", CultureInfo.InvariantCulture) : null,
        });
        using var response = await PutAsync(sale, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return sale;
    }

    private Task<HttpResponseMessage> PutAsync(string sale, string body)
    {
        var request = Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return _client.SendAsync(request);
    }

    private async Task<long> RedisNowAsync() => new DateTimeOffset(await app.Redis.Server.TimeAsync(), TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static long EntryUnixMs(StreamEntry entry) => long.Parse(entry.Id.ToString().Split('-')[0], CultureInfo.InvariantCulture);
}

/// <summary>A node whose clock runs an hour ahead of Redis's.</summary>
public sealed class ClockAheadSpikeAppFixture : SpikeAppFixture
{
    public static readonly TimeSpan Ahead = TimeSpan.FromHours(1);

    protected override void ConfigureNode(IWebHostBuilder web) =>
        web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(new ShiftedClock(Ahead)));
}

public sealed class ClockAheadNodeSpecs(ClockAheadSpikeAppFixture app) : IClassFixture<ClockAheadSpikeAppFixture>
{
    [Fact]
    public async Task Should_be_refused_not_open_by_redis_when_the_node_clock_says_the_sale_is_open()
    {
        var opensAt = new DateTimeOffset(await app.Redis.Server.TimeAsync(), TimeSpan.Zero).AddMinutes(10);
        var sale = "ahead" + Guid.NewGuid().ToString("N")[..8];
        var put = Admin.Request(HttpMethod.Put, $"/admin/sales/{sale}");
        put.Content = new StringContent($$"""{"stock":5,"opensAt":"{{opensAt:O}}"}""", Encoding.UTF8, "application/json");
        using var created = await app.Client.SendAsync(put);
        Assert.Equal("open", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString()); // by the node's clock

        using var response = await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=early&requestId=r1");

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("not_open", body.GetProperty("status").GetString());
        Assert.Equal(opensAt.ToUnixTimeMilliseconds(), body.GetProperty("opensAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(0L, (long)await app.Redis.Database.HashGetAsync(SaleKeys.Meta(sale), SaleKeys.HeldField));
        Assert.True((long)await app.Redis.Database.HashGetAsync(SaleKeys.Meta(sale), SaleKeys.ReserveCallsField) >= 1, "Redis was never asked");
    }
}
