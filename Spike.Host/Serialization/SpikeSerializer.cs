using System.Diagnostics;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Spike.Actors;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;

namespace Spike.Host.Serialization;

/// <summary>
/// Compact binary format for every <see cref="ISpikeMessage"/> that crosses the cluster (Akka's
/// default binding is Newtonsoft JSON, several times slower). Each type has a short, stable manifest;
/// a new field goes at the end of its type's layout.
/// </summary>
public sealed class SpikeSerializer : SerializerWithStringManifest
{
    /// <summary>Akka reserves 0–40; anything above 100 is ours.</summary>
    public const int SerializerId = 4711;

    private const string ReserveBatchManifest = "RB";
    private const string BatchReservedManifest = "BR";
    private const string AcquireLeaseManifest = "AL";
    private const string LeaseGrantedManifest = "LG";
    private const string SaleUnknownManifest = "SU";
    private const string LeaseUnavailableManifest = "LU";
    private const string ReleaseLeaseManifest = "RL";
    private const string LeaseReturnedManifest = "LR";
    private const string LeaseRevokedManifest = "LV";
    private const string SaleStatusChangedManifest = "SS";
    private const string ConfigureSaleManifest = "CS";
    private const string AddStockManifest = "AS";
    private const string SaleCommandResultManifest = "CR";
    private const string StockReleasedManifest = "SR";
    private const string CloseSaleManifest = "CL";
    private const string DeleteSaleManifest = "DS";
    private const string SaleDeletedManifest = "SD";
    private const string CreateOrderManifest = "OC";
    private const string PayOrderManifest = "OP";
    private const string CancelOrderManifest = "OX";
    private const string ExpireOrderManifest = "OE";
    private const string GetOrderManifest = "OG";
    private const string OrderReplyManifest = "OR";
    private const string BuyRatesManifest = "BT";
    // Events live in the order journal for good: these manifests and layouts never change meaning.
    private const string OrderCreatedManifest = "EC";
    private const string OrderPaidManifest = "EP";
    private const string OrderCancelledManifest = "EX";
    private const string OrderExpiredManifest = "EE";

    /// <summary>Most elements a list may declare: far above what <see cref="WireLimits"/> lets a batch carry.</summary>
    private const int MaxListCount = 1 << 16;

    private const int TraceIdBytes = 16;
    private const int SpanIdBytes = 8;

    public SpikeSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o switch
    {
        ReserveBatch => ReserveBatchManifest,
        BatchReserved => BatchReservedManifest,
        AcquireLease => AcquireLeaseManifest,
        LeaseGranted => LeaseGrantedManifest,
        SaleUnknown => SaleUnknownManifest,
        LeaseUnavailable => LeaseUnavailableManifest,
        ReleaseLease => ReleaseLeaseManifest,
        LeaseReturned => LeaseReturnedManifest,
        LeaseRevoked => LeaseRevokedManifest,
        SaleStatusChanged => SaleStatusChangedManifest,
        ConfigureSale => ConfigureSaleManifest,
        AddStock => AddStockManifest,
        SaleCommandResult => SaleCommandResultManifest,
        StockReleased => StockReleasedManifest,
        CloseSale => CloseSaleManifest,
        DeleteSale => DeleteSaleManifest,
        SaleDeleted => SaleDeletedManifest,
        CreateOrder => CreateOrderManifest,
        PayOrder => PayOrderManifest,
        CancelOrder => CancelOrderManifest,
        ExpireOrder => ExpireOrderManifest,
        GetOrder => GetOrderManifest,
        OrderReply => OrderReplyManifest,
        BuyRates => BuyRatesManifest,
        OrderCreated => OrderCreatedManifest,
        OrderPaid => OrderPaidManifest,
        OrderCancelled => OrderCancelledManifest,
        OrderExpired => OrderExpiredManifest,
        _ => throw new ArgumentException($"{o.GetType()} is not a Spike cluster message", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            Write(writer, obj);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads strictly: counts, enums and lengths are checked against what the message can hold, and
    /// trailing bytes are refused, so a corrupt or hostile frame is a <see cref="SerializationException"/>
    /// (Akka drops the message) and never a huge allocation or a half-read message.
    /// </summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        object message;
        try
        {
            message = Read(reader, manifest);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or DecoderFallbackException or ArgumentException)
        {
            throw new SerializationException($"Malformed '{manifest}' message for {nameof(SpikeSerializer)}: {e.Message}", e);
        }
        if (reader.BaseStream.Position != bytes.Length)
        {
            throw new SerializationException($"'{manifest}' message has {bytes.Length - reader.BaseStream.Position} trailing bytes");
        }
        return message;
    }

    private object Read(BinaryReader reader, string manifest) => manifest switch
    {
        ReserveBatchManifest => new ReserveBatch(reader.ReadString(), reader.ReadInt64(), ReadList(reader, ReadItem), ReadActorRef(reader), ReadHolderState(reader), ReadOptionalTrace(reader)),
        BatchReservedManifest => new BatchReserved(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), ReadList(reader, ReadOutcome)),
        AcquireLeaseManifest => new AcquireLease(reader.ReadString(), ReadNonNegative(reader), ReadNonNegative(reader), reader.ReadBoolean(), ReadActorRef(reader), ReadHolderState(reader)),
        LeaseGrantedManifest => new LeaseGranted(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), ReadNonNegative(reader), ReadNonNegative(reader), reader.ReadInt64(), ReadSchedule(reader)),
        SaleUnknownManifest => new SaleUnknown(reader.ReadString()),
        LeaseUnavailableManifest => new LeaseUnavailable(reader.ReadString()),
        ReleaseLeaseManifest => new ReleaseLease(reader.ReadString()),
        LeaseReturnedManifest => new LeaseReturned(reader.ReadString(), ReadActorRef(reader), ReadHolderState(reader)),
        LeaseRevokedManifest => new LeaseRevoked(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64()),
        SaleStatusChangedManifest => new SaleStatusChanged(reader.ReadString(), reader.ReadBoolean(), ReadNonNegative(reader), reader.ReadInt64(), ReadSchedule(reader)),
        ConfigureSaleManifest => new ConfigureSale(reader.ReadString(), ReadSettings(reader)),
        AddStockManifest => new AddStock(reader.ReadString(), reader.ReadInt64(), ReadOptional(reader, r => r.ReadString())),
        SaleCommandResultManifest => new SaleCommandResult(reader.ReadString(), ReadEnum<SaleCommandStatus>(reader), ReadOptional(reader, ReadSnapshot)),
        StockReleasedManifest => new StockReleased(reader.ReadString()),
        CloseSaleManifest => new CloseSale(reader.ReadString()),
        DeleteSaleManifest => new DeleteSale(reader.ReadString()),
        SaleDeletedManifest => new SaleDeleted(reader.ReadString()),
        CreateOrderManifest => new CreateOrder(reader.ReadString(), reader.ReadString(), reader.ReadString(), ReadPositive(reader), reader.ReadInt64()),
        PayOrderManifest => new PayOrder(reader.ReadString()),
        CancelOrderManifest => new CancelOrder(reader.ReadString()),
        ExpireOrderManifest => new ExpireOrder(reader.ReadString()),
        GetOrderManifest => new GetOrder(reader.ReadString()),
        OrderReplyManifest => new OrderReply(reader.ReadString(), ReadEnum<OrderReplyStatus>(reader), ReadOptional(reader, ReadOrderView)),
        BuyRatesManifest => new BuyRates(reader.ReadString(), reader.ReadInt64(), ReadList(reader, ReadOutcomeRate), reader.ReadBoolean() ? reader.ReadDouble() : null),
        OrderCreatedManifest => new OrderCreated(reader.ReadString(), reader.ReadString(), reader.ReadString(), ReadPositive(reader), reader.ReadInt64()),
        OrderPaidManifest => new OrderPaid(reader.ReadString()),
        OrderCancelledManifest => new OrderCancelled(reader.ReadString()),
        OrderExpiredManifest => new OrderExpired(reader.ReadString()),
        _ => throw new SerializationException($"Unknown manifest '{manifest}' for {nameof(SpikeSerializer)}"),
    };

    private static void Write(BinaryWriter writer, object obj)
    {
        switch (obj)
        {
            case ReserveBatch m:
                writer.Write(m.SaleId);
                writer.Write(m.BatchId);
                WriteList(writer, m.Items, WriteItem);
                WriteActorRef(writer, m.ReplyTo);
                WriteHolderState(writer, m.Holder);
                WriteOptionalTrace(writer, m.Trace);
                break;
            case BatchReserved m:
                writer.Write(m.SaleId);
                writer.Write(m.Incarnation);
                writer.Write(m.Seq);
                writer.Write(m.BatchId);
                WriteList(writer, m.Outcomes, WriteOutcome);
                break;
            case AcquireLease m:
                writer.Write(m.SaleId);
                writer.Write(m.Wanted);
                writer.Write(m.Needed);
                writer.Write(m.Starving);
                WriteActorRef(writer, m.Holder);
                WriteHolderState(writer, m.State);
                break;
            case LeaseGranted m:
                writer.Write(m.SaleId);
                writer.Write(m.Incarnation);
                writer.Write(m.Seq);
                writer.Write(m.Granted);
                writer.Write(m.PerUserLimit);
                writer.Write(m.Available);
                WriteSchedule(writer, m.Schedule);
                break;
            case SaleUnknown or LeaseUnavailable or ReleaseLease or CloseSale or DeleteSale or SaleDeleted:
                writer.Write(((ISaleMessage)obj).SaleId);
                break;
            case LeaseReturned m:
                writer.Write(m.SaleId);
                WriteActorRef(writer, m.Holder);
                WriteHolderState(writer, m.State);
                break;
            case LeaseRevoked m:
                writer.Write(m.SaleId);
                writer.Write(m.Incarnation);
                writer.Write(m.Seq);
                break;
            case SaleStatusChanged m:
                writer.Write(m.SaleId);
                writer.Write(m.SoldOut);
                writer.Write(m.PerUserLimit);
                writer.Write(m.ReservationSeq);
                WriteSchedule(writer, m.Schedule);
                break;
            case ConfigureSale m:
                writer.Write(m.SaleId);
                WriteSettings(writer, m.Settings);
                break;
            case AddStock m:
                writer.Write(m.SaleId);
                writer.Write(m.Amount);
                WriteOptional(writer, m.OperationId, (w, operationId) => w.Write(operationId));
                break;
            case SaleCommandResult m:
                writer.Write(m.SaleId);
                writer.Write((byte)m.Status);
                WriteOptional(writer, m.Sale, WriteSnapshot);
                break;
            case StockReleased m:
                writer.Write(m.SaleId);
                break;
            case CreateOrder m:
                WriteOrder(writer, m.OrderId, m.SaleId, m.UserId, m.Quantity, m.PayByUnixMs);
                break;
            case OrderCreated m:
                WriteOrder(writer, m.OrderId, m.SaleId, m.UserId, m.Quantity, m.PayByUnixMs);
                break;
            case PayOrder or CancelOrder or ExpireOrder or GetOrder or OrderPaid or OrderCancelled or OrderExpired:
                writer.Write(((IOrderMessage)obj).OrderId);
                break;
            case OrderReply m:
                writer.Write(m.OrderId);
                writer.Write((byte)m.Status);
                WriteOptional(writer, m.Order, WriteOrderView);
                break;
            case BuyRates m:
                writer.Write(m.Node);
                writer.Write(m.AtUnixMs);
                WriteList(writer, m.Outcomes, WriteOutcomeRate);
                writer.Write(m.P99Ms is not null);
                if (m.P99Ms is { } p99)
                {
                    writer.Write(p99);
                }
                break;
            default:
                throw new ArgumentException($"{obj.GetType()} is not a Spike cluster message", nameof(obj));
        }
    }

    private static void WriteItem(BinaryWriter writer, ReserveItem item)
    {
        writer.Write(item.RequestId);
        writer.Write(item.UserId);
        writer.Write(item.Quantity);
        writer.Write(item.DeadlineUnixMs);
    }

    private static ReserveItem ReadItem(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), ReadPositive(reader), reader.ReadInt64());

    /// <summary>The opening instant only for a "not open" outcome (which has no order id): no outcome grows past <see cref="WireLimits.OutcomeBytes"/>.</summary>
    private static void WriteOutcome(BinaryWriter writer, ItemOutcome outcome)
    {
        writer.Write((byte)outcome.Status);
        writer.Write(outcome.OrderId ?? string.Empty);
        writer.Write(outcome.PayByUnixMs);
        writer.Write(outcome.Quantity);
        writer.Write(outcome.Remaining);
        if (outcome.Status == ReserveStatus.NotOpen)
        {
            writer.Write(outcome.OpensAtUnixMs);
        }
    }

    private static ItemOutcome ReadOutcome(BinaryReader reader)
    {
        var status = ReadEnum<ReserveStatus>(reader);
        var orderId = reader.ReadString();
        var outcome = new ItemOutcome(status, orderId.Length == 0 ? null : orderId, reader.ReadInt64(), ReadNonNegative(reader), reader.ReadInt64());
        return status == ReserveStatus.NotOpen ? outcome with { OpensAtUnixMs = reader.ReadInt64() } : outcome;
    }

    private static void WriteOutcomeRate(BinaryWriter writer, OutcomeRate rate)
    {
        writer.Write((byte)rate.Status);
        writer.Write(rate.PerSecond);
    }

    private static OutcomeRate ReadOutcomeRate(BinaryReader reader) => new(ReadEnum<ReserveStatus>(reader), reader.ReadDouble());

    private static void WriteSchedule(BinaryWriter writer, SaleSchedule schedule)
    {
        WriteOptionalInstant(writer, schedule.OpensAtUnixMs);
        WriteOptionalInstant(writer, schedule.ClosesAtUnixMs);
    }

    private static SaleSchedule ReadSchedule(BinaryReader reader) => new(ReadOptionalInstant(reader), ReadOptionalInstant(reader));

    private static void WriteOptionalInstant(BinaryWriter writer, long? unixMs)
    {
        writer.Write(unixMs is not null);
        if (unixMs is { } value)
        {
            writer.Write(value);
        }
    }

    private static long? ReadOptionalInstant(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadInt64() : null;

    private static void WriteHolderState(BinaryWriter writer, HolderState state)
    {
        writer.Write(state.Incarnation);
        writer.Write(state.AckedSeq);
        writer.Write(state.Allotment);
    }

    private static HolderState ReadHolderState(BinaryReader reader) => new(reader.ReadInt64(), reader.ReadInt64(), ReadNonNegative(reader));

    /// <summary>
    /// A trace context, last in its message and only when there is one: an untraced message is byte for byte what it
    /// was before tracing (an older node reads it). The W3C traceparent's fields (version 00) in binary: flags, trace
    /// id, parent span id; 25 bytes against 55 as text. The tracestate is not carried.
    /// </summary>
    private static void WriteOptionalTrace(BinaryWriter writer, ActivityContext trace)
    {
        if (trace == default)
        {
            return;
        }
        Span<byte> ids = stackalloc byte[TraceIdBytes + SpanIdBytes];
        trace.TraceId.CopyTo(ids[..TraceIdBytes]);
        trace.SpanId.CopyTo(ids[TraceIdBytes..]);
        writer.Write((byte)trace.TraceFlags);
        writer.Write(ids);
    }

    /// <summary>No bytes left: no trace context. Else exactly one, with non-zero ids (W3C: all zeros is invalid).</summary>
    private static ActivityContext ReadOptionalTrace(BinaryReader reader)
    {
        if (reader.BaseStream.Position == reader.BaseStream.Length)
        {
            return default;
        }
        var flags = (ActivityTraceFlags)reader.ReadByte();
        Span<byte> ids = stackalloc byte[TraceIdBytes + SpanIdBytes];
        reader.BaseStream.ReadExactly(ids);
        if (!ids[..TraceIdBytes].ContainsAnyExcept((byte)0) || !ids[TraceIdBytes..].ContainsAnyExcept((byte)0))
        {
            throw new FormatException("a trace context with an all-zero id");
        }
        return new ActivityContext(
            ActivityTraceId.CreateFromBytes(ids[..TraceIdBytes]), ActivitySpanId.CreateFromBytes(ids[TraceIdBytes..]), flags, isRemote: true);
    }

    private static void WriteSettings(BinaryWriter writer, SaleSettings settings)
    {
        writer.Write(settings.Stock);
        writer.Write(settings.PerUserLimit);
        writer.Write(settings.PaymentWindowSeconds);
        WriteSchedule(writer, settings.Schedule);
    }

    private static SaleSettings ReadSettings(BinaryReader reader) => new(reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32(), ReadSchedule(reader));

    private static void WriteSnapshot(BinaryWriter writer, SaleSnapshot sale)
    {
        writer.Write(sale.Id);
        writer.Write(sale.Total);
        writer.Write(sale.Held);
        writer.Write(sale.Available);
        writer.Write(sale.PerUserLimit);
        writer.Write(sale.PaymentWindowSeconds);
        writer.Write(sale.ReservationSeq);
        writer.Write(sale.ReserveCalls);
        WriteSchedule(writer, sale.Schedule);
    }

    private static SaleSnapshot ReadSnapshot(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64(), ReadSchedule(reader));

    private static void WriteOrder(BinaryWriter writer, string orderId, string saleId, string userId, int quantity, long payByUnixMs)
    {
        writer.Write(orderId);
        writer.Write(saleId);
        writer.Write(userId);
        writer.Write(quantity);
        writer.Write(payByUnixMs);
    }

    private static void WriteOrderView(BinaryWriter writer, OrderView order)
    {
        WriteOrder(writer, order.OrderId, order.SaleId, order.UserId, order.Quantity, order.PayByUnixMs);
        writer.Write((byte)order.State);
    }

    private static OrderView ReadOrderView(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadString(), ReadPositive(reader), reader.ReadInt64(), ReadEnum<OrderState>(reader));

    private static void WriteList<T>(BinaryWriter writer, IReadOnlyList<T> list, Action<BinaryWriter, T> write)
    {
        writer.Write(list.Count);
        foreach (var element in list)
        {
            write(writer, element);
        }
    }

    /// <summary>A declared count above the bytes left (every element takes at least one) is a corrupt frame.</summary>
    private static T[] ReadList<T>(BinaryReader reader, Func<BinaryReader, T> read)
    {
        var count = reader.ReadInt32();
        var left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || count > MaxListCount || count > left)
        {
            throw new FormatException($"a list of {count} elements in {left} bytes");
        }
        var list = new T[count];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = read(reader);
        }
        return list;
    }

    private static void WriteOptional<T>(BinaryWriter writer, T? value, Action<BinaryWriter, T> write) where T : class
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            write(writer, value);
        }
    }

    private static T? ReadOptional<T>(BinaryReader reader, Func<BinaryReader, T> read) where T : class =>
        reader.ReadBoolean() ? read(reader) : null;

    private static int ReadNonNegative(BinaryReader reader)
    {
        var value = reader.ReadInt32();
        return value >= 0 ? value : throw new FormatException($"{value} where a count was expected");
    }

    private static int ReadPositive(BinaryReader reader)
    {
        var value = reader.ReadInt32();
        return value > 0 ? value : throw new FormatException($"{value} where a quantity was expected");
    }

    private static T ReadEnum<T>(BinaryReader reader) where T : struct, Enum
    {
        var value = reader.ReadByte();
        var parsed = (T)Enum.ToObject(typeof(T), value);
        return Enum.IsDefined(parsed) ? parsed : throw new FormatException($"{value} is not a {typeof(T).Name}");
    }

    private static void WriteActorRef(BinaryWriter writer, IActorRef actorRef) =>
        writer.Write(Akka.Serialization.Serialization.SerializedActorPath(actorRef));

    private IActorRef ReadActorRef(BinaryReader reader) => system.Provider.ResolveActorRef(reader.ReadString());
}
