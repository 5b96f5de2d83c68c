using System.Globalization;

namespace Spike.Sales;

/// <summary>
/// A reservation as stored in the sale's <c>res</c> hash by the reserve script: user, quantity, pay-by
/// (unix ms) and request id, tab-separated (cheaper in Lua than JSON; ids cannot hold control characters).
/// </summary>
public sealed record ReservationRecord(string User, int Quantity, long PayByUnixMs, string RequestId)
{
    public static ReservationRecord Parse(string record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var parts = record.Split('\t');
        if (parts.Length != 4)
        {
            throw new FormatException($"A reservation record has 4 tab-separated parts, not {parts.Length}: '{record}'");
        }
        return new ReservationRecord(
            parts[0],
            int.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            parts[3]);
    }
}
