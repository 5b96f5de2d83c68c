using Spike.Api.Endpoints;

namespace Spike.Tests.Http;

public sealed class RequestRulesSpecs
{
    public static TheoryData<string> BadSaleIds => new()
    {
        "abc\n", // .NET's regex '$' matches before a final newline
        "abc\r\n",
        "\nabc",
        "ab\0c",
        "abc\u0085",
        "a b",
        "-abc",
        ".abc",
        "_abc",
        "ab/c",
        "ab\\c",
        "..",
        "ab#1",
        "ab$",
        "café",
        "\uD800",
        new string('a', 65),
    };

    [Theory]
    [MemberData(nameof(BadSaleIds), DisableDiscoveryEnumeration = true)]
    public void Should_refuse_a_sale_id_when_it_is_not_exactly_the_documented_ascii_form(string sale)
    {
        var error = RequestRules.CheckSaleId(sale);

        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("Concert_2026.main-hall")]
    [InlineData("a-")]
    public void Should_accept_a_sale_id_when_it_has_the_documented_form(string sale)
    {
        var error = RequestRules.CheckSaleId(sale);

        Assert.Null(error);
    }

    [Fact]
    public void Should_accept_a_sale_id_when_it_is_exactly_64_characters()
    {
        var error = RequestRules.CheckSaleId(new string('z', 64));

        Assert.Null(error);
    }

    public static TheoryData<string> BadIds => new()
    {
        "alice\n",
        "\nalice",
        "al\nice",
        "alice\r",
        "al\0ice",
        "al\tice",
        "alice\u007F",
        "alice\u0085",
        "alice\u2028",
        "alice\u2029",
        "alice\uD800", // a lone high surrogate cannot be encoded as UTF-8 (Redis, the cluster serializer)
        "\uDC00alice",
        "al\uDC00\uD800ice",
        new string('x', RequestRules.MaxIdLength + 1),
    };

    [Theory]
    [MemberData(nameof(BadIds), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public void Should_refuse_a_user_or_request_id_when_it_is_not_printable_valid_text(string id)
    {
        var error = RequestRules.CheckId(id, required: true);

        Assert.NotNull(error);
    }

    public static TheoryData<string> GoodIds => new()
    {
        "alice",
        "with space",
        "path/like\\id/..",
        "$%&'()*+,;=?@[]{}",
        "ü-user",
        "😀", // a surrogate pair is valid UTF-16
        "👩‍👩‍👧", // joined by zero-width joiners
        "עברית",
        "e\u0301",
        new string('x', RequestRules.MaxIdLength),
        string.Concat(Enumerable.Repeat("😀", RequestRules.MaxIdLength / 2)),
    };

    [Theory]
    [MemberData(nameof(GoodIds))]
    public void Should_accept_a_user_or_request_id_when_it_is_printable_text_of_at_most_128_characters(string id)
    {
        var error = RequestRules.CheckId(id, required: true);

        Assert.Null(error);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("", false)]
    public void Should_refuse_a_missing_or_empty_id_when_it_is_required_or_given_empty(string? id, bool required)
    {
        var error = RequestRules.CheckId(id, required);

        Assert.NotNull(error);
    }
}
