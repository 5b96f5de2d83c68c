using System.Text;

namespace Spike.Actors.Inventory;

/// <summary>
/// Akka.Remote drops a message above its maximum frame size (128,000 bytes by default) with only a log
/// line, so a batch is capped by the bytes its request and its answer take on the wire, not only by count.
/// These are upper bounds of <c>SpikeSerializer</c>'s layout.
/// </summary>
public static class WireLimits
{
    /// <summary>Room for one batch or its answer: half a default frame, the rest is headroom.</summary>
    public const int MaxBatchBytes = 64 * 1024;

    /// <summary>A string's length prefix (7-bit varint) takes at most this for the ids Spike accepts.</summary>
    private const int LengthPrefixBytes = 3;

    /// <summary>Bytes of one item in a <see cref="ReserveBatch"/>: two ids, quantity, deadline.</summary>
    public static int ItemBytes(ReserveItem item) =>
        Encoding.UTF8.GetByteCount(item.RequestId) + Encoding.UTF8.GetByteCount(item.UserId) + (2 * LengthPrefixBytes) + sizeof(int) + sizeof(long);

    /// <summary>
    /// Upper bound of one outcome in a <see cref="BatchReserved"/>: status, order id ("sale-seq", the
    /// sequence at most 20 digits), pay-by, quantity, remaining.
    /// </summary>
    public static int OutcomeBytes(string saleId) =>
        1 + LengthPrefixBytes + Encoding.UTF8.GetByteCount(saleId) + 1 + 20 + sizeof(long) + sizeof(int) + sizeof(long);

    /// <summary>Most items a batch of this sale may carry so that its answer fits, whatever the ids.</summary>
    public static int MaxItemsPerBatch(string saleId) => MaxBatchBytes / OutcomeBytes(saleId);
}
