using System.Security.Cryptography;
using System.Text;

namespace Spike.Host.Hosting;

/// <summary>
/// A shared secret (the admin API's token, the command host's). A presented token is hashed and the two hashes compared
/// in constant time: both are always 32 bytes, so neither the comparison nor an early exit on length tells how close a
/// guess was.
/// </summary>
public sealed class SharedSecret
{
    private readonly byte[] _expectedHash;

    public SharedSecret(string expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(expected);
        _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
    }

    public bool Matches(string? presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? string.Empty)), _expectedHash);

    /// <summary>The secret never reaches a log line, even through a formatted object.</summary>
    public override string ToString() => "SharedSecret(***)";
}
