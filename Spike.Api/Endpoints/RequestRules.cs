using System.Buffers;
using System.Text.RegularExpressions;

namespace Spike.Api.Endpoints;

/// <summary>What the API accepts. Pure functions: each returns an error message, or null when valid.</summary>
public static partial class RequestRules
{
    public const int MaxIdLength = 128;
    public const int MaxBodyBytes = 4 * 1024;

    /// <summary>What <see cref="char.IsControl(char)"/> accepts, searched vectorized (runs on every buy).</summary>
    private static readonly SearchValues<char> ControlCharacters =
        SearchValues.Create([.. Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(char.IsControl)]);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex SaleIdPattern();

    public static string? CheckSaleId(string? sale) =>
        string.IsNullOrEmpty(sale) ? "is required (no default sale is configured)"
        : SaleIdPattern().IsMatch(sale) ? null
        : "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit";

    /// <summary>User and request ids: printable, at most 128 characters (they are parts of Redis fields).</summary>
    public static string? CheckId(string? id, bool required) =>
        string.IsNullOrEmpty(id) ? (required ? "is required" : "must not be empty")
        : id.Length > MaxIdLength ? $"must be at most {MaxIdLength} characters"
        : id.AsSpan().ContainsAny(ControlCharacters) ? "must not contain control characters"
        : null;

    public static string? CheckQuantity(int quantity) => quantity > 0 ? null : "must be a positive integer";
}
