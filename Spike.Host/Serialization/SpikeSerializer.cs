using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Spike.Actors;
using Spike.Actors.Inventory;

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
    private const string ResolveBatchManifest = "VB";
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

    public SpikeSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o switch
    {
        ReserveBatch => ReserveBatchManifest,
        BatchReserved => BatchReservedManifest,
        ResolveBatch => ResolveBatchManifest,
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

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        return manifest switch
        {
            ReserveBatchManifest => ReadBatch(reader, (sale, id, items, replyTo) => new ReserveBatch(sale, id, items, replyTo)),
            ResolveBatchManifest => ReadBatch(reader, (sale, id, items, replyTo) => new ResolveBatch(sale, id, items, replyTo)),
            BatchReservedManifest => new BatchReserved(reader.ReadString(), reader.ReadInt64(), ReadList(reader, ReadOutcome)),
            AcquireLeaseManifest => new AcquireLease(reader.ReadString(), reader.ReadInt32(), ReadActorRef(reader), reader.ReadBoolean()),
            LeaseGrantedManifest => new LeaseGranted(reader.ReadString(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean()),
            SaleUnknownManifest => new SaleUnknown(reader.ReadString()),
            LeaseUnavailableManifest => new LeaseUnavailable(reader.ReadString()),
            ReleaseLeaseManifest => new ReleaseLease(reader.ReadString()),
            LeaseReturnedManifest => new LeaseReturned(reader.ReadString(), reader.ReadInt32(), ReadActorRef(reader)),
            LeaseRevokedManifest => new LeaseRevoked(reader.ReadString()),
            SaleStatusChangedManifest => new SaleStatusChanged(reader.ReadString(), reader.ReadBoolean()),
            ConfigureSaleManifest => new ConfigureSale(reader.ReadString(), ReadSettings(reader)),
            AddStockManifest => new AddStock(reader.ReadString(), reader.ReadInt64(), ReadOptional(reader, r => r.ReadString())),
            SaleCommandResultManifest => new SaleCommandResult(reader.ReadString(), (SaleCommandStatus)reader.ReadByte(), ReadOptional(reader, ReadSnapshot)),
            _ => throw new SerializationException($"Unknown manifest '{manifest}' for {nameof(SpikeSerializer)}"),
        };
    }

    private static void Write(BinaryWriter writer, object obj)
    {
        switch (obj)
        {
            case ReserveBatch m:
                WriteBatch(writer, m.SaleId, m.BatchId, m.Items, m.ReplyTo);
                break;
            case ResolveBatch m:
                WriteBatch(writer, m.SaleId, m.BatchId, m.Items, m.ReplyTo);
                break;
            case BatchReserved m:
                writer.Write(m.SaleId);
                writer.Write(m.BatchId);
                WriteList(writer, m.Outcomes, WriteOutcome);
                break;
            case AcquireLease m:
                writer.Write(m.SaleId);
                writer.Write(m.Wanted);
                WriteActorRef(writer, m.Holder);
                writer.Write(m.Starving);
                break;
            case LeaseGranted m:
                writer.Write(m.SaleId);
                writer.Write(m.Granted);
                writer.Write(m.PerUserLimit);
                writer.Write(m.SoldOut);
                break;
            case SaleUnknown or LeaseUnavailable or ReleaseLease or LeaseRevoked:
                writer.Write(((ISaleMessage)obj).SaleId);
                break;
            case LeaseReturned m:
                writer.Write(m.SaleId);
                writer.Write(m.Amount);
                WriteActorRef(writer, m.Holder);
                break;
            case SaleStatusChanged m:
                writer.Write(m.SaleId);
                writer.Write(m.SoldOut);
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
            default:
                throw new ArgumentException($"{obj.GetType()} is not a Spike cluster message", nameof(obj));
        }
    }

    /// <summary>The layout <see cref="ReserveBatch"/> and <see cref="ResolveBatch"/> share.</summary>
    private static void WriteBatch(BinaryWriter writer, string saleId, long batchId, IReadOnlyList<ReserveItem> items, IActorRef replyTo)
    {
        writer.Write(saleId);
        writer.Write(batchId);
        WriteList(writer, items, WriteItem);
        WriteActorRef(writer, replyTo);
    }

    private T ReadBatch<T>(BinaryReader reader, Func<string, long, ReserveItem[], IActorRef, T> create) =>
        create(reader.ReadString(), reader.ReadInt64(), ReadList(reader, ReadItem), ReadActorRef(reader));

    private static void WriteItem(BinaryWriter writer, ReserveItem item)
    {
        writer.Write(item.RequestId);
        writer.Write(item.UserId);
        writer.Write(item.Quantity);
    }

    private static ReserveItem ReadItem(BinaryReader reader) => new(reader.ReadString(), reader.ReadString(), reader.ReadInt32());

    private static void WriteOutcome(BinaryWriter writer, ItemOutcome outcome)
    {
        writer.Write((byte)outcome.Status);
        writer.Write(outcome.OrderId ?? string.Empty);
        writer.Write(outcome.PayByUnixMs);
    }

    private static ItemOutcome ReadOutcome(BinaryReader reader)
    {
        var status = (ReserveStatus)reader.ReadByte();
        var orderId = reader.ReadString();
        return new ItemOutcome(status, orderId.Length == 0 ? null : orderId, reader.ReadInt64());
    }

    private static void WriteSettings(BinaryWriter writer, SaleSettings settings)
    {
        writer.Write(settings.Stock);
        writer.Write(settings.PerUserLimit);
        writer.Write(settings.PaymentWindowSeconds);
    }

    private static SaleSettings ReadSettings(BinaryReader reader) => new(reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32());

    private static void WriteSnapshot(BinaryWriter writer, SaleSnapshot sale)
    {
        writer.Write(sale.Id);
        writer.Write(sale.Total);
        writer.Write(sale.Held);
        writer.Write(sale.Available);
        writer.Write(sale.PerUserLimit);
        writer.Write(sale.PaymentWindowSeconds);
    }

    private static SaleSnapshot ReadSnapshot(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32());

    private static void WriteList<T>(BinaryWriter writer, IReadOnlyList<T> list, Action<BinaryWriter, T> write)
    {
        writer.Write(list.Count);
        foreach (var element in list)
        {
            write(writer, element);
        }
    }

    private static T[] ReadList<T>(BinaryReader reader, Func<BinaryReader, T> read)
    {
        var list = new T[reader.ReadInt32()];
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

    private static void WriteActorRef(BinaryWriter writer, IActorRef actorRef) =>
        writer.Write(Akka.Serialization.Serialization.SerializedActorPath(actorRef));

    private IActorRef ReadActorRef(BinaryReader reader) => system.Provider.ResolveActorRef(reader.ReadString());
}
