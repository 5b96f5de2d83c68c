using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Spike.Host.Hosting;

namespace Spike.Api.Endpoints;

/// <summary>
/// A buyer token: <c>&lt;expiry, unix seconds&gt;.&lt;base64url HMAC-SHA256 of "user\nexpiry"&gt;</c>, signed by the site that
/// authenticated the user with the key it shares with Spike (<see cref="BuyerOptions.TokenKey"/>). It travels in the
/// <see cref="Header"/> header, so it stays out of URLs and access logs.
/// </summary>
public sealed class BuyerToken
{
    public const string Header = "X-Spike-Buyer-Token";
    public const int MinKeyLength = 32;

    private readonly byte[] _key;

    public BuyerToken(string key)
    {
        if (key.Length < MinKeyLength)
        {
            throw new ArgumentException($"a buyer token key has at least {MinKeyLength} characters", nameof(key));
        }
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>
    /// The checker a node's options ask for: null when buys need no token.
    /// </summary>
    /// <exception cref="InvalidOperationException">A token is required, but there is no usable key.</exception>
    public static BuyerToken? Required(BuyerOptions options) => options switch
    {
        { RequireToken: false } => null,
        { TokenKey.Length: >= MinKeyLength } => new BuyerToken(options.TokenKey),
        _ => throw new InvalidOperationException(
            $"Spike:Buyers:RequireToken is on, but Spike:Buyers:TokenKey is not set or shorter than {MinKeyLength} characters"),
    };

    public string Create(string user, DateTimeOffset expires)
    {
        var expiry = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expiry}.{Base64Url(Sign(user, expiry))}";
    }

    /// <summary>The token was signed for <paramref name="user"/> with this key and has not expired at <paramref name="now"/>.</summary>
    public bool IsValid(string user, string? token, DateTimeOffset now)
    {
        if (token is null)
        {
            return false;
        }
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !long.TryParse(token.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
            || expiry < now.ToUnixTimeSeconds())
        {
            return false;
        }
        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes + 2];
        return Convert.TryFromBase64Chars(FromBase64Url(token.AsSpan(dot + 1)), presented, out var length)
            && length == HMACSHA256.HashSizeInBytes
            && CryptographicOperations.FixedTimeEquals(presented[..length], Sign(user, token[..dot]));
    }

    private byte[] Sign(string user, string expiry) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{user}\n{expiry}"));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string FromBase64Url(ReadOnlySpan<char> text)
    {
        var padded = text.ToString().Replace('-', '+').Replace('_', '/');
        return padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '=');
    }
}
