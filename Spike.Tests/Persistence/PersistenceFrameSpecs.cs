using Spike.Persistence.Redis;

namespace Spike.Tests.Persistence;

/// <summary>The binary frames the journal and the snapshot store write: round trips and strict reading.</summary>
public sealed class PersistenceFrameSpecs
{
    private static readonly StoredEvent Event = new(
        "pid-ü{1}", 42, "writer-guid", "event-v2", 638_000_000_000_000_001, ["tag-a", "tag-b"],
        new SerializedPayload(9_301, "TE1", [1, 2, 3, 0, 255]));

    [Fact]
    public void Should_read_back_every_field_when_an_event_frame_round_trips()
    {
        var back = EventFrame.Decode(EventFrame.Encode(Event));

        Assert.Equal(Event with { Tags = back.Tags, Payload = back.Payload }, back);
        Assert.Equal(Event.Tags, back.Tags);
        Assert.Equal(Event.Payload.SerializerId, back.Payload.SerializerId);
        Assert.Equal(Event.Payload.Manifest, back.Payload.Manifest);
        Assert.Equal(Event.Payload.Bytes, back.Payload.Bytes);
    }

    [Fact]
    public void Should_read_back_every_field_when_a_snapshot_frame_round_trips()
    {
        var stored = new StoredSnapshot(7, new DateTime(638_000_000_000_000_123, DateTimeKind.Utc), new SerializedPayload(4, "", new byte[10_240]));

        var back = SnapshotFrame.Decode(SnapshotFrame.Encode(stored));

        Assert.Equal(stored.SequenceNr, back.SequenceNr);
        Assert.Equal(stored.Timestamp, back.Timestamp);
        Assert.Equal(stored.Payload.SerializerId, back.Payload.SerializerId);
        Assert.Equal(stored.Payload.Bytes, back.Payload.Bytes);
    }

    [Fact]
    public void Should_refuse_a_frame_when_its_version_is_unknown()
    {
        var frame = EventFrame.Encode(Event);
        frame[0] = 99;

        Assert.Throws<InvalidDataException>(() => EventFrame.Decode(frame));
    }

    [Fact]
    public void Should_refuse_a_frame_when_bytes_follow_the_payload()
    {
        var frame = EventFrame.Encode(Event).Append((byte)0).ToArray();

        Assert.Throws<InvalidDataException>(() => EventFrame.Decode(frame));
    }

    [Fact]
    public void Should_refuse_a_frame_when_it_is_cut_short_anywhere()
    {
        var frame = EventFrame.Encode(Event);

        for (var length = 0; length < frame.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => EventFrame.Decode(frame[..length]));
        }
    }
}
