using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

/// <summary>Failure mode 6: Redis down → fail closed with a clear 503, then recover without oversell.</summary>
[Collection(SpikeAppCollection.Name)]
public sealed class RedisOutageSpecs(SpikeAppFixture app)
{
    [Fact]
    public async Task Should_answer_503_sell_nothing_and_then_complete_the_sale_when_redis_is_down_and_returns()
    {
        var sale = await app.CreateSaleAsync(stock: 20);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=before")).StatusCode);

        await app.Redis.StopAsync();
        HttpResponseMessage[] during;
        try
        {
            during = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => app.Client.GetAsync($"/buy/ticket?sale={sale}&user=down{i}&requestId=d{i}")));
        }
        finally
        {
            await app.Redis.StartAsync();
        }

        Assert.All(during, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode));
        Assert.All(during, r => Assert.True(r.Headers.RetryAfter is not null, "503 without Retry-After"));
        var body = await during[0].Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unavailable", body.GetProperty("status").GetString());
        Assert.Equal(1, (await app.AuditAsync(sale)).Counts.Held);

        // Back: the same buyers retry with their request ids, then more buyers than tickets arrive.
        await Poll.UntilAsync(async () => (await app.Client.GetAsync($"/buy/ticket?sale={sale}&user=down0&requestId=d0")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), "the sale did not resume after Redis returned");
        var after = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => app.Client.GetAsync($"/buy/ticket?sale={sale}&user=after{i}")));

        Assert.Equal(18, after.Count(r => r.StatusCode == HttpStatusCode.OK));
        var audit = await app.AuditAsync(sale);
        Assert.Equal(20, audit.Counts.Held);
        audit.AssertConsistent();
    }
}
