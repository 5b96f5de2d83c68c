using System.Runtime.CompilerServices;

namespace Spike.Api.Endpoints;

/// <summary>
/// The buy endpoint's query string, read field by field. Every buyer sends one, and the framework's query
/// collection costs a feature, a dictionary and an array per request; this reads the same pairs the same way
/// (split on '&amp;', then on the first '=', '+' as a space, percent-decoding, names case-insensitive).
/// </summary>
public static class BuyQuery
{
    public const string Fields = "sale, user, quantity, requestId";

    private const int Sale = 0, User = 1, Quantity = 2, RequestId = 3;
    private static readonly string[] Names = ["sale", "user", "quantity", "requestId"];

    /// <summary>The request, or the field that is wrong and why (a field unknown, given twice, or a quantity that is not a number).</summary>
    public static BuyQueryResult Parse(ReadOnlySpan<char> query)
    {
        if (query.StartsWith('?'))
        {
            query = query[1..];
        }
        var values = new FieldValues();
        while (!query.IsEmpty)
        {
            var end = query.IndexOf('&');
            var pair = end < 0 ? query : query[..end];
            query = end < 0 ? [] : query[(end + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }
            var equals = pair.IndexOf('=');
            var rawName = equals < 0 ? pair : pair[..equals];
            var name = NeedsDecoding(rawName) ? Uri.UnescapeDataString(rawName.ToString().Replace('+', ' ')) : rawName;
            var field = FieldOf(name);
            if (field < 0)
            {
                return BuyQueryResult.Invalid(name.ToString(), $"is not a known field ({Fields})");
            }
            if (values[field] is not null)
            {
                // Given twice, the framework would join the values with commas into one id.
                return BuyQueryResult.Invalid(Names[field], "must be given once");
            }
            values[field] = Decode(equals < 0 ? [] : pair[(equals + 1)..]);
        }
        int? quantity = null;
        if (values[Quantity] is { } rawQuantity)
        {
            if (!int.TryParse(rawQuantity, out var number))
            {
                return BuyQueryResult.Invalid("quantity", "must be a positive integer");
            }
            quantity = number;
        }
        return new BuyQueryResult(new BuyBody(values[Sale], values[User], quantity, values[RequestId]), null, null);
    }

    private static int FieldOf(ReadOnlySpan<char> name)
    {
        for (var field = 0; field < Names.Length; field++)
        {
            if (name.Equals(Names[field], StringComparison.OrdinalIgnoreCase))
            {
                return field;
            }
        }
        return -1;
    }

    private static bool NeedsDecoding(ReadOnlySpan<char> raw) => raw.ContainsAny('%', '+');

    private static string Decode(ReadOnlySpan<char> raw) =>
        NeedsDecoding(raw) ? Uri.UnescapeDataString(raw.ToString().Replace('+', ' ')) : raw.ToString();

    [InlineArray(4)]
    private struct FieldValues
    {
        private string? _value;
    }
}

/// <param name="Body">The request when the query is well formed.</param>
/// <param name="Field">The field named in the 400 answer otherwise.</param>
public readonly record struct BuyQueryResult(BuyBody? Body, string? Field, string? Error)
{
    public static BuyQueryResult Invalid(string field, string error) => new(null, field, error);
}
