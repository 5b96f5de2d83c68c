using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spike.Actors.Stock;
using Spike.Api.Admission;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

/// <summary>
/// A node with tight admission limits. The test server has no network peer, so a test names the peer in
/// <see cref="AdmissionFixture.PeerHeader"/> (a proxy's X-Forwarded-For comes on top, as nginx sends it).
/// </summary>
public sealed class AdmissionFixture : SpikeAppFixture
{
    public const string PeerHeader = "X-Test-Peer";
    public const int UserBurst = 3;
    public const int AddressBurst = 4;

    private Task<string>? _openSale;

    /// <summary>
    /// One sale for the class with far more tickets than its specs buy, so that every admitted buy reaches the
    /// StockActor (the specs of a class run one at a time).
    /// </summary>
    public Task<string> OpenSaleAsync() => _openSale ??= CreateSaleAsync(stock: 1_000_000);

    protected override void ConfigureNode(IWebHostBuilder web)
    {
        web.UseSetting("Spike:Admission:PerUser:PerSecond", "1");
        web.UseSetting("Spike:Admission:PerUser:Burst", UserBurst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        web.UseSetting("Spike:Admission:PerAddress:PerSecond", "1");
        web.UseSetting("Spike:Admission:PerAddress:Burst", AddressBurst.ToString(System.Globalization.CultureInfo.InvariantCulture));
        web.UseSetting("Spike:Admission:MaxConcurrentBuys", "1");
        web.UseSetting("Spike:Admission:MaxQueuedBuys", "0");
        web.UseSetting("Spike:Admission:TrustedProxies:0", "10.9.0.0/16");
        web.UseSetting("Spike:Admission:ExemptNetworks:0", "192.0.2.0/24");
        web.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, PeerFromHeader>());
    }

    /// <summary>Sets the connection's peer address, as a socket would, before the node's own middleware runs.</summary>
    private sealed class PeerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers.TryGetValue(PeerHeader, out var peer))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                }
                return following(context);
            });
            next(app);
        };
    }
}

public sealed class AdmissionSpecs(AdmissionFixture app) : IClassFixture<AdmissionFixture>
{
    private readonly record struct Answer(HttpStatusCode Code, string? Status, string? RetryAfter)
    {
        /// <summary>Answered by the StockActor: reserved, or the user's limit reached (every spec's sale has tickets left).</summary>
        public bool Admitted => Code is HttpStatusCode.OK || Status == "limit_reached";
    }

    /// <summary>A buy of the class's open sale (or of <paramref name="sale"/>), as <paramref name="peer"/> sends it.</summary>
    private async Task<Answer> BuyAsync(string user, string peer, string? forwardedFor = null, string requestId = "r1", string? sale = null)
    {
        sale ??= await app.OpenSaleAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/buy/ticket?sale={sale}&user={user}&requestId={requestId}");
        request.Headers.Add(AdmissionFixture.PeerHeader, peer);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        using var response = await app.Client.SendAsync(request);
        return await AnswerOf(response);
    }

    private static async Task<Answer> AnswerOf(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new Answer(response.StatusCode, json.TryGetProperty("status", out var status) ? status.GetString() : null,
            response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null);
    }

    private static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The requests after the burst: the bucket refills one a second, so at most one of two quick ones can pass.</summary>
    private static void AssertRefusedAfterTheBurst(IReadOnlyList<Answer> withinBurst, IReadOnlyList<Answer> beyond)
    {
        Assert.All(withinBurst, a => Assert.True(a.Admitted, $"answered {a.Code} {a.Status}"));
        var refused = beyond.Where(a => a.Code == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(refused.Count, beyond.Count - 1, beyond.Count);
        Assert.All(refused, a => Assert.Equal(("busy", "1"), (a.Status, a.RetryAfter)));
    }

    private static async Task<Answer[]> SequenceAsync(int count, Func<int, Task<Answer>> send)
    {
        var answers = new Answer[count];
        for (var i = 0; i < count; i++)
        {
            answers[i] = await send(i);
        }
        return answers;
    }

    [Fact]
    public async Task Should_serve_a_user_up_to_the_burst_and_answer_429_with_retry_after_beyond_it()
    {
        var user = NewUser();

        var answers = await SequenceAsync(AdmissionFixture.UserBurst + 2, i => BuyAsync(user, "127.0.0.1", requestId: $"r{i}"));
        var otherUser = await BuyAsync(NewUser(), "127.0.0.1");

        AssertRefusedAfterTheBurst(answers[..AdmissionFixture.UserBurst], answers[AdmissionFixture.UserBurst..]);
        Assert.True(otherUser.Admitted);
    }

    [Fact]
    public async Task Should_limit_the_user_named_in_the_body_when_a_buy_is_posted()
    {
        var (sale, user) = (await app.OpenSaleAsync(), NewUser());

        var answers = await SequenceAsync(AdmissionFixture.UserBurst + 2, async i =>
        {
            using var response = await app.Client.PostAsJsonAsync("/buy/ticket", new { sale, user, requestId = $"r{i}" });
            return await AnswerOf(response);
        });

        AssertRefusedAfterTheBurst(answers[..AdmissionFixture.UserBurst], answers[AdmissionFixture.UserBurst..]);
    }

    [Fact]
    public async Task Should_answer_sold_out_without_admission_when_a_user_beyond_the_burst_buys_a_sale_that_is_over()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        Assert.Equal(HttpStatusCode.OK, (await BuyAsync(NewUser(), "127.0.0.1", sale: sale)).Code);
        var board = app.Services.GetRequiredService<SaleBoard>();
        await Poll.UntilAsync(async () =>
            {
                await BuyAsync(NewUser(), "127.0.0.1", sale: sale); // the node learns the sale is over from a buy
                return board.TryAnswer(sale, "anyone", null, out _);
            },
            TimeSpan.FromSeconds(10), "the node never held the sale as over");
        var user = NewUser();

        // Three times the user's burst, beyond the address's too: the node answers from its copy of the sale, which costs
        // less than admission would.
        var answers = await SequenceAsync(AdmissionFixture.UserBurst * 3, i => BuyAsync(user, "203.0.113.50", requestId: $"r{i}", sale: sale));

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.Conflict, "sold_out"), (a.Code, a.Status)));
    }

    [Fact]
    public async Task Should_serve_an_address_up_to_the_burst_and_answer_429_with_retry_after_beyond_it()
    {
        const string address = "203.0.113.10";

        var answers = await SequenceAsync(AdmissionFixture.AddressBurst + 2, i => BuyAsync(NewUser(), address));
        var otherAddress = await BuyAsync(NewUser(), "203.0.113.11");

        AssertRefusedAfterTheBurst(answers[..AdmissionFixture.AddressBurst], answers[AdmissionFixture.AddressBurst..]);
        Assert.True(otherAddress.Admitted);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("192.0.2.77")] // an exempt network
    public async Task Should_not_limit_an_address_of_this_host_or_an_exempt_network(string address)
    {
        var answers = await SequenceAsync(AdmissionFixture.AddressBurst * 3, i => BuyAsync(NewUser(), address));

        Assert.All(answers, a => Assert.True(a.Admitted, $"answered {a.Code} {a.Status}"));
    }

    [Theory]
    [InlineData("127.0.0.1", "198.51.100.20")] // the local nginx
    [InlineData("10.9.3.4", "198.51.100.22")] // a configured proxy network
    public async Task Should_limit_the_forwarded_client_address_when_the_peer_is_a_trusted_proxy(string proxy, string client)
    {
        var answers = await SequenceAsync(AdmissionFixture.AddressBurst + 2, i => BuyAsync(NewUser(), proxy, forwardedFor: "203.0.113.99, " + client));
        var anotherClient = await BuyAsync(NewUser(), proxy, forwardedFor: client + "1");

        AssertRefusedAfterTheBurst(answers[..AdmissionFixture.AddressBurst], answers[AdmissionFixture.AddressBurst..]);
        Assert.True(anotherClient.Admitted);
    }

    [Fact]
    public async Task Should_ignore_a_forwarded_address_when_the_peer_is_not_a_trusted_proxy()
    {
        const string peer = "203.0.113.30";

        // Each claims another client, or this host itself: all count against the peer.
        var answers = await SequenceAsync(AdmissionFixture.AddressBurst + 2, i => BuyAsync(NewUser(), peer, forwardedFor: i % 2 == 0 ? "127.0.0.1" : $"198.51.100.{40 + i}"));

        AssertRefusedAfterTheBurst(answers[..AdmissionFixture.AddressBurst], answers[AdmissionFixture.AddressBurst..]);
    }

    [Fact]
    public async Task Should_answer_429_to_a_buy_beyond_the_node_concurrency_and_serve_it_once_a_permit_is_free()
    {
        var sale = await app.CreateSaleAsync(stock: 10);
        // Redis holds every write until the test lets go: the first buy holds the node's only permit while its reserve
        // call waits. The probes start once the node's limiter shows that permit taken: a probe sent first would take it
        // itself. A pause rather than a timed stall, so a slow machine cannot let the held buy finish before the probes.
        var admission = app.Services.GetRequiredService<BuyAdmission>();
        await app.OpenSaleAsync(); // created before Redis holds writes
        await app.Redis.Server.ExecuteAsync("CLIENT", "PAUSE", "30000", "WRITE");
        Answer refused;
        Task<HttpResponseMessage> held;
        try
        {
            held = app.Client.GetAsync($"/buy/ticket?sale={sale}&user=held&requestId=r-held");
            await Poll.UntilAsync(() => Task.FromResult(admission.Statistics?.CurrentAvailablePermits == 0),
                TimeSpan.FromSeconds(10), "the held buy never took the node's permit");

            refused = await BuyAsync(NewUser(), "127.0.0.1");
        }
        finally
        {
            await app.Redis.Server.ExecuteAsync("CLIENT", "UNPAUSE");
        }
        using var heldResponse = await held.WaitAsync(TimeSpan.FromSeconds(10));
        var served = await BuyAsync(NewUser(), "127.0.0.1");

        Assert.Equal((HttpStatusCode.TooManyRequests, "busy", "1"), (refused.Code, refused.Status, refused.RetryAfter));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, heldResponse.StatusCode); // the held buy itself was admitted
        Assert.True(served.Admitted);
    }

    [Theory]
    [InlineData("Spike:Admission:PerUser:Burst", "0", "PerUser:Burst")]
    [InlineData("Spike:Admission:PerAddress:PerSecond", "-1", "PerAddress:PerSecond")]
    [InlineData("Spike:Admission:MaxConcurrentBuys", "0", "MaxConcurrentBuys")]
    [InlineData("Spike:Admission:MaxQueuedBuys", "-1", "MaxQueuedBuys")]
    [InlineData("Spike:Admission:TrustedProxies:0", "nginx", "TrustedProxies")]
    [InlineData("Spike:Admission:ExemptNetworks:0", "10.0.0.0/40", "ExemptNetworks")]
    public void Should_refuse_to_start_naming_the_setting_when_an_admission_setting_is_invalid(string key, string value, string named)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Spike:Node:Port", "0");
            web.UseSetting("Spike:Redis", "127.0.0.1:1,abortConnect=false");
            web.UseSetting(key, value);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
