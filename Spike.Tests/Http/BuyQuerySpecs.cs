using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Spike.Api.Endpoints;

namespace Spike.Tests.Http;

public sealed class BuyQuerySpecs
{
    [Fact]
    public void Should_read_every_field_when_the_query_is_plain()
    {
        var result = BuyQuery.Parse("?sale=s1&user=alice&quantity=2&requestId=r-1");

        Assert.Equal(new BuyBody("s1", "alice", 2, "r-1"), result.Body);
    }

    [Theory]
    [InlineData("?user=a%20b", "a b")]
    [InlineData("?user=a+b", "a b")]
    [InlineData("?user=%E2%82%AC", "€")]
    [InlineData("?user=%zz", "%zz")]
    [InlineData("?%75ser=x", "x")]
    [InlineData("?USER=x", "x")]
    [InlineData("?&&user=x&", "x")]
    public void Should_decode_the_query_as_the_framework_does_when_it_is_escaped_or_cased(string query, string user)
    {
        var result = BuyQuery.Parse(query);

        Assert.Equal(user, result.Body?.User);
    }

    [Theory]
    [InlineData("?sale=a&Sale=b", "sale", "must be given once")]
    [InlineData("?color=red", "color", "is not a known field")]
    [InlineData("?quantity=two", "quantity", "must be a positive integer")]
    [InlineData("?=x", "", "is not a known field")]
    public void Should_name_the_field_when_the_query_is_bad(string query, string field, string error)
    {
        var result = BuyQuery.Parse(query);

        Assert.Null(result.Body);
        Assert.Equal(field, result.Field);
        Assert.StartsWith(error, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_agree_with_the_framework_query_collection_when_queries_are_random()
    {
        var random = new Random(20261125);
        string[] pieces = ["sale", "user", "quantity", "requestId", "SALE", "x", "=", "&", "+", "%", "%2", "%41", "%26", "%3D", "1", "-3", " ", "é", "\uD800", ""];
        for (var i = 0; i < 20_000; i++)
        {
            var query = new StringBuilder("?");
            for (var n = random.Next(8); n >= 0; n--)
            {
                query.Append(pieces[random.Next(pieces.Length)]);
            }

            var expected = ReadWithTheFramework(query.ToString());
            var actual = BuyQuery.Parse(query.ToString());

            // Both accept the same request, or both refuse (with several faults each may name a different one).
            Assert.True(expected.Body == actual.Body, $"query '{query}': framework {expected}, BuyQuery {actual}");
        }
    }

    /// <summary>What the endpoint decided from the framework's query collection before it read the query itself.</summary>
    private static BuyQueryResult ReadWithTheFramework(string query)
    {
        var fields = QueryHelpers.ParseQuery(query);
        foreach (var (key, values) in fields)
        {
            if (!new[] { "sale", "user", "quantity", "requestId" }.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                return BuyQueryResult.Invalid(key, $"is not a known field ({BuyQuery.Fields})");
            }
            if (values.Count > 1)
            {
                return BuyQueryResult.Invalid(key, "must be given once");
            }
        }
        int? quantity = null;
        if (fields.TryGetValue("quantity", out var raw))
        {
            if (!int.TryParse(raw, out var parsed))
            {
                return BuyQueryResult.Invalid("quantity", "must be a positive integer");
            }
            quantity = parsed;
        }
        string? Field(string name) => fields.TryGetValue(name, out var value) ? value.ToString() : null;
        return new BuyQueryResult(new BuyBody(Field("sale"), Field("user"), quantity, Field("requestId")), null, null);
    }
}
