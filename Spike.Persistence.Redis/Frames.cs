using System.Text;

namespace Spike.Persistence.Redis;

/// <summary>An event as the journal stores it: every field of the persistent representation except its sender.</summary>
internal sealed record StoredEvent(
    string PersistenceId,
    long SequenceNr,
    string WriterGuid,
    string Manifest,
    long Timestamp,
    IReadOnlyList<string> Tags,
    SerializedPayload Payload);

/// <summary>A snapshot as the snapshot store stores it; the persistence id is the key's.</summary>
internal sealed record StoredSnapshot(long SequenceNr, DateTime Timestamp, SerializedPayload Payload);

/// <summary>
/// The binary layout of an event (a member of the events sorted set). Strings are UTF-8 with a 7-bit-encoded length
/// (<see cref="BinaryWriter.Write(string)"/>), counts 7-bit encoded, integers little-endian:
/// <c>version:byte seq:int64 timestamp:int64 serializerId:int32 persistenceId writerGuid manifest serializerManifest
/// tagCount tag* payloadLength payload</c>.
/// </summary>
internal static class EventFrame
{
    /// <summary>Written first, so a later layout can be told apart from this one.</summary>
    private const byte Version = 1;

    public static byte[] Encode(StoredEvent stored)
    {
        using var buffer = new MemoryStream(64 + stored.Payload.Bytes.Length);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(stored.SequenceNr);
            writer.Write(stored.Timestamp);
            writer.Write(stored.Payload.SerializerId);
            writer.Write(stored.PersistenceId);
            writer.Write(stored.WriterGuid);
            writer.Write(stored.Manifest);
            writer.Write(stored.Payload.Manifest);
            writer.Write7BitEncodedInt(stored.Tags.Count);
            foreach (var tag in stored.Tags)
            {
                writer.Write(tag);
            }

            writer.Write7BitEncodedInt(stored.Payload.Bytes.Length);
            writer.Write(stored.Payload.Bytes);
        }

        return buffer.ToArray();
    }

    public static StoredEvent Decode(byte[] frame) => FrameFormat.Read(frame, Version, "event", reader =>
    {
        var sequenceNr = reader.ReadInt64();
        var timestamp = reader.ReadInt64();
        var serializerId = reader.ReadInt32();
        var persistenceId = reader.ReadString();
        var writerGuid = reader.ReadString();
        var manifest = reader.ReadString();
        var serializerManifest = reader.ReadString();
        var tags = new string[FrameFormat.ReadCount(reader)];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = reader.ReadString();
        }

        var payload = FrameFormat.ReadBytes(reader);
        return new StoredEvent(persistenceId, sequenceNr, writerGuid, manifest, timestamp, tags,
            new SerializedPayload(serializerId, serializerManifest, payload));
    });
}

/// <summary>
/// The binary layout of a snapshot (a member of the snapshots sorted set), conventions as <see cref="EventFrame"/>:
/// <c>version:byte seq:int64 timestampTicks:int64 serializerId:int32 serializerManifest payloadLength payload</c>.
/// </summary>
internal static class SnapshotFrame
{
    private const byte Version = 1;

    public static byte[] Encode(StoredSnapshot stored)
    {
        using var buffer = new MemoryStream(32 + stored.Payload.Bytes.Length);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(stored.SequenceNr);
            writer.Write(stored.Timestamp.Ticks);
            writer.Write(stored.Payload.SerializerId);
            writer.Write(stored.Payload.Manifest);
            writer.Write7BitEncodedInt(stored.Payload.Bytes.Length);
            writer.Write(stored.Payload.Bytes);
        }

        return buffer.ToArray();
    }

    public static StoredSnapshot Decode(byte[] frame) => FrameFormat.Read(frame, Version, "snapshot", reader =>
    {
        var sequenceNr = reader.ReadInt64();
        var timestamp = new DateTime(reader.ReadInt64(), DateTimeKind.Utc);
        var serializerId = reader.ReadInt32();
        var serializerManifest = reader.ReadString();
        var payload = FrameFormat.ReadBytes(reader);
        return new StoredSnapshot(sequenceNr, timestamp, new SerializedPayload(serializerId, serializerManifest, payload));
    });
}

/// <summary>
/// Strict reading: an unknown version, a frame cut short, a count or length beyond the bytes left, or bytes after the
/// payload is an <see cref="InvalidDataException"/>, never a huge allocation or a half-read frame.
/// </summary>
internal static class FrameFormat
{
    /// <summary>Checks the version, reads the rest with <paramref name="readBody"/>, and checks nothing follows.</summary>
    public static T Read<T>(byte[] frame, byte version, string kind, Func<BinaryReader, T> readBody)
    {
        using var reader = new BinaryReader(new MemoryStream(frame, writable: false), Encoding.UTF8);
        try
        {
            var found = reader.ReadByte();
            if (found != version)
            {
                throw new InvalidDataException($"Unknown {kind} frame version {found} (this build reads {version}).");
            }

            var body = readBody(reader);
            if (BytesLeft(reader) != 0)
            {
                throw new InvalidDataException($"The {kind} frame has {BytesLeft(reader)} bytes after its payload.");
            }

            return body;
        }
        catch (EndOfStreamException cutShort)
        {
            throw new InvalidDataException($"The {kind} frame is cut short.", cutShort);
        }
    }

    /// <summary>A count of items that take at least a byte each.</summary>
    public static int ReadCount(BinaryReader reader)
    {
        var count = reader.Read7BitEncodedInt();
        if (count < 0 || count > BytesLeft(reader))
        {
            throw new InvalidDataException($"A frame declares {count} items but has {BytesLeft(reader)} bytes left.");
        }

        return count;
    }

    public static byte[] ReadBytes(BinaryReader reader) => reader.ReadBytes(ReadCount(reader));

    private static long BytesLeft(BinaryReader reader) => reader.BaseStream.Length - reader.BaseStream.Position;
}
