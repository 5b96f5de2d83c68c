using System.Buffers;
using System.Globalization;
using System.Text;
using Spike.Actors.Inventory;
using Spike.Sales;

namespace Spike.Api.Endpoints;

/// <summary>What the API accepts. Pure functions: each returns an error message, or null when valid.</summary>
/// <remarks>
/// Every check walks the characters themselves, no regular expression: .NET's <c>$</c> also matches before a
/// final newline. A sale id names an actor and is part of Redis keys and log lines, so it is plain ASCII.
/// User, request and operation ids are opaque printable text (path separators, spaces and any script are
/// fine: they are only Redis hash fields and values); they must reach Redis and the cluster serializer as
/// UTF-8 unchanged, so invalid UTF-16 (a lone surrogate) is refused along with control characters and line
/// breaks.
/// </remarks>
public static class RequestRules
{
    public const int MaxIdLength = 128;
    public const int MaxSaleIdLength = 64;
    public const int MaxBodyBytes = 4 * 1024;

    private const string LettersAndDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly SearchValues<char> SaleIdFirstCharacters = SearchValues.Create(LettersAndDigits);
    private static readonly SearchValues<char> SaleIdCharacters = SearchValues.Create(LettersAndDigits + "_.-");

    /// <summary>Space to '~': most ids are made of these alone and skip the per-character walk (runs on every buy).</summary>
    private static readonly SearchValues<char> PrintableAscii =
        SearchValues.Create([.. Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c)]);

    /// <summary>Sale ids: <c>[A-Za-z0-9][A-Za-z0-9_.-]{0,63}</c>, exactly.</summary>
    public static string? CheckSaleId(string? sale) =>
        string.IsNullOrEmpty(sale) ? "is required (no default sale is configured)"
        : sale.Length <= MaxSaleIdLength && SaleIdFirstCharacters.Contains(sale[0]) && !sale.AsSpan().ContainsAnyExcept(SaleIdCharacters) ? null
        : $"must be 1-{MaxSaleIdLength} ASCII letters, digits, '_', '.' or '-', starting with a letter or digit";

    /// <summary>User, request and operation ids: printable text, at most 128 UTF-16 characters.</summary>
    public static string? CheckId(string? id, bool required) =>
        string.IsNullOrEmpty(id) ? (required ? "is required" : "must not be empty")
        : id.Length > MaxIdLength ? $"must be at most {MaxIdLength} characters"
        : id.AsSpan().ContainsAnyExcept(PrintableAscii) ? CheckPrintableText(id)
        : null;

    /// <summary>Order ids: a sale id, '-', and the sale's order number (no leading zero).</summary>
    public static string? CheckOrderId(string? orderId) =>
        SaleKeys.TrySaleOfOrder(orderId, out var sale) && CheckSaleId(sale) is null ? null
        : "must be an order id: the sale id, '-' and the order number, as the buy answer gave it";

    /// <summary>
    /// An instant: ISO-8601 date and time with seconds, optional fraction and an offset (<c>Z</c>, <c>+02:00</c>);
    /// without one it is UTC. Null text is no instant, and valid.
    /// </summary>
    public static string? CheckInstant(string? text, out long? unixMs)
    {
        unixMs = null;
        if (text is null)
        {
            return null;
        }
        if (!DateTimeOffset.TryParseExact(text, InstantFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return "must be an ISO-8601 timestamp such as 2026-05-01T10:00:00Z";
        }
        unixMs = instant.ToUnixTimeMilliseconds();
        return null;
    }

    private static readonly string[] InstantFormats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    public static string? CheckQuantity(int quantity) =>
        quantity <= 0 ? "must be a positive integer"
        : quantity > SaleLimits.MaxPerUserLimit ? $"must be at most {SaleLimits.MaxPerUserLimit} (the highest per-user limit a sale can have)"
        : null;

    private static string? CheckPrintableText(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out var rune, out var length) != OperationStatus.Done)
            {
                return "must be valid text (no lone UTF-16 surrogates)";
            }
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return "must not contain control characters or line breaks";
            }
            text = text[length..];
        }
        return null;
    }
}
