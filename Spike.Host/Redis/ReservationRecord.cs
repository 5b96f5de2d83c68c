using System.Text.Json;

namespace Spike.Host.Redis;

/// <summary>A reservation as stored in the sale's <c>res</c> hash (JSON written by the reserve script).</summary>
public sealed record ReservationRecord(string User, int Quantity, long PayByUnixMs, string RequestId)
{
    public static ReservationRecord Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new ReservationRecord(
            root.GetProperty(SaleKeys.UserField).GetString() ?? "",
            root.GetProperty(SaleKeys.QuantityField).GetInt32(),
            root.GetProperty(SaleKeys.PayByField).GetInt64(),
            root.GetProperty(SaleKeys.RequestIdField).GetString() ?? "");
    }
}
