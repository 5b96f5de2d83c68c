using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors;
using Spike.Actors.Inventory;
using Spike.Host.Serialization;
using Xunit.Abstractions;

namespace Spike.Tests.Serialization;

public sealed class SpikeSerializerSpecs(ITestOutputHelper output) : TestKit(output: output)
{
    private SpikeSerializer Serializer => new((ExtendedActorSystem)Sys);

    private T RoundTrip<T>(T message) where T : notnull
    {
        var bytes = Serializer.ToBinary(message);
        return (T)Serializer.FromBinary(bytes, Serializer.Manifest(message));
    }

    public static TheoryData<ISpikeMessage> ValueMessages => new()
    {
        new BatchReserved("s", 7, [ItemOutcome.Reserved("s-1", 1_764_000_000_000), ItemOutcome.SoldOut, ItemOutcome.LimitReached, ItemOutcome.Unavailable]),
        new LeaseGranted("s", 12, 2, SoldOut: true),
        new SaleUnknown("s"),
        new LeaseUnavailable("s"),
        new ReleaseLease("s"),
        new LeaseRevoked("s"),
        new SaleStatusChanged("s", SoldOut: true),
        new ConfigureSale("s", new SaleSettings(10_000, 1, 300)),
        new AddStock("s", 5),
        new AddStock("s", 5, "op-1"),
        new SaleCommandResult("s", SaleCommandStatus.Conflict, new SaleSnapshot("s", 10, 4, 6, 1, 300)),
        new SaleCommandResult("s", SaleCommandStatus.UnknownSale, null),
    };

    [Theory]
    [MemberData(nameof(ValueMessages))]
    public void Should_round_trip_every_cluster_message(ISpikeMessage message)
    {
        var copy = RoundTrip(message);

        // Records compare by value, lists by reference: compare their printed form element by element.
        Assert.Equal(message.GetType(), copy.GetType());
        Assert.Equal(Describe(message), Describe(copy));
    }

    [Fact]
    public void Should_keep_actor_refs_resolvable_when_round_tripping()
    {
        var replyTo = CreateTestProbe().Ref;
        var batch = new ReserveBatch("s", 3, [new ReserveItem("r1", "ü-user", 1), new ReserveItem("r2", "u2", 2)], replyTo);

        var copy = RoundTrip(batch);
        var resolve = RoundTrip(new ResolveBatch("s", 4, batch.Items, replyTo));
        var lease = RoundTrip(new AcquireLease("s", 64, replyTo, Starving: true));
        var returned = RoundTrip(new LeaseReturned("s", 9, replyTo));

        Assert.Equal(batch.Items, copy.Items);
        Assert.Equal((batch.SaleId, batch.BatchId, replyTo), (copy.SaleId, copy.BatchId, copy.ReplyTo));
        Assert.Equal((64, replyTo, true), (lease.Wanted, lease.Holder, lease.Starving));
        Assert.Equal((9, replyTo), (returned.Amount, returned.Holder));
    }

    [Fact]
    public void Should_throw_a_serialization_exception_for_an_unknown_manifest()
    {
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([1, 2, 3], "XX"));
    }

    private static string Describe(object message) => message switch
    {
        BatchReserved b => $"{b.SaleId}/{b.BatchId}/{string.Join(",", b.Outcomes)}",
        _ => message.ToString()!,
    };
}
