using System.Net;
using Spike.Api.Endpoints;
using Spike.Host.Hosting;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

public sealed class BuyerTokenSpecs(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private const string Key = "a-key-the-site-and-spike-share-0123456789";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly BuyerToken _tokens = new(Key);

    [Fact]
    public void Should_accept_a_token_when_it_was_signed_for_the_user_and_has_not_expired()
    {
        var token = _tokens.Create("alice", Now.AddMinutes(5));

        Assert.True(_tokens.IsValid("alice", token, Now));
        Assert.True(_tokens.IsValid("alice", token, Now.AddMinutes(5)));
    }

    [Fact]
    public void Should_refuse_a_token_when_it_is_another_users_expired_tampered_or_signed_with_another_key()
    {
        var token = _tokens.Create("alice", Now.AddMinutes(5));
        var signature = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];

        Assert.False(_tokens.IsValid("bob", token, Now));
        Assert.False(_tokens.IsValid("alice", token, Now.AddMinutes(5).AddSeconds(1)));
        // a later expiry with the old signature
        Assert.False(_tokens.IsValid("alice", $"{Now.AddDays(1).ToUnixTimeSeconds()}.{signature}", Now));
        Assert.False(_tokens.IsValid("alice", token[..^2] + (token[^2] == 'A' ? "BA" : "AA"), Now));
        Assert.False(new BuyerToken(Key + "!").IsValid("alice", token, Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("no-dot")]
    [InlineData("-5.abc")]
    [InlineData("99999999999999999999999.abc")]
    [InlineData("1800000300.not base64!")]
    [InlineData("1800000300.c2hvcnQ")]
    public void Should_refuse_a_token_when_it_is_not_one(string? token)
    {
        Assert.False(_tokens.IsValid("alice", token, Now));
    }

    [Fact]
    public void Should_refuse_to_start_when_tokens_are_required_without_a_usable_key()
    {
        Assert.Null(BuyerToken.Required(new BuyerOptions()));
        Assert.Throws<InvalidOperationException>(() => BuyerToken.Required(new BuyerOptions { RequireToken = true }));
        Assert.Throws<InvalidOperationException>(() => BuyerToken.Required(new BuyerOptions { RequireToken = true, TokenKey = "short" }));
        Assert.NotNull(BuyerToken.Required(new BuyerOptions { RequireToken = true, TokenKey = Key }));
    }

    [Fact]
    public async Task Should_sell_only_with_the_buyers_own_token_when_a_node_requires_one()
    {
        // arrange: a node that requires buyer tokens
        await using var node = await InProcessNode.StartSingleAsync(redis.ConnectionString, new Dictionary<string, string>
        {
            ["Spike:Buyers:RequireToken"] = "true",
            ["Spike:Buyers:TokenKey"] = Key,
        });
        var sale = await Admin.CreateSaleAsync(node.Client, stock: 5);
        var alicesToken = _tokens.Create("alice", DateTimeOffset.UtcNow.AddMinutes(5));

        // act
        using var without = await BuyAsync(node.Client, sale, "alice", token: null);
        using var asBob = await BuyAsync(node.Client, sale, "bob", alicesToken);
        using var asAlice = await BuyAsync(node.Client, sale, "alice", alicesToken);

        // assert: only alice's own token bought, once
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Contains("invalid_buyer_token", await without.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, asBob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, asAlice.StatusCode);
        var audit = await SaleAudit.ReadAsync(redis.Database, sale, null, new SaleAuditOptions());
        Assert.Equal(1, audit.Counts.Held);
    }

    private static Task<HttpResponseMessage> BuyAsync(HttpClient client, string sale, string user, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/buy/ticket?sale={sale}&user={user}&requestId=r-{user}");
        if (token is not null)
        {
            request.Headers.Add(BuyerToken.Header, token);
        }
        return client.SendAsync(request);
    }
}
