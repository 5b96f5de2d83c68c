using System.Globalization;

namespace Spike.Commands;

/// <summary>Where a node's command host listens: <c>host:port</c>, or a node index meaning 127.0.0.1:(9110 + index).</summary>
public sealed record NodeEndpoint(string Host, int Port)
{
    public const int BasePort = 9110;

    public static bool TryParse(string? text, out NodeEndpoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return TryCreate("127.0.0.1", BasePort + (long)index, out endpoint);
        }
        var colon = text.LastIndexOf(':');
        return colon > 0
            && long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && TryCreate(text[..colon].Trim('[', ']'), port, out endpoint);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    private static bool TryCreate(string host, long port, out NodeEndpoint endpoint)
    {
        endpoint = new NodeEndpoint(host, (int)Math.Min(port, int.MaxValue));
        return host.Length > 0 && port is > 0 and <= 65535;
    }
}
