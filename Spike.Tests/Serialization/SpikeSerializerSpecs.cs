using System.Diagnostics;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Spike.Actors;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
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
        new BatchReserved("s", 41, 3, 7, [ItemOutcome.Reserved("s-1", 1_764_000_000_000, 2), ItemOutcome.SoldOut, ItemOutcome.NotEnough(3), ItemOutcome.LimitReached, ItemOutcome.Unavailable]),
        new BatchReserved("s", 41, 3, 7, [ItemOutcome.NotOpen(1_764_000_000_000), ItemOutcome.Closed, ItemOutcome.Reserved("s-1", 1_764_000_000_000, 2)]),
        new LeaseGranted("s", 41, 4, 12, 2, Available: 0),
        new LeaseGranted("s", 41, 4, 12, 2, 30, new SaleSchedule(1_764_000_000_000, null)),
        new SaleUnknown("s"),
        new LeaseUnavailable("s"),
        new ReleaseLease("s"),
        new LeaseRevoked("s", 41, 5),
        new SaleStatusChanged("s", SoldOut: true, PerUserLimit: 4, ReservationSeq: 1_000),
        new SaleStatusChanged("s", SoldOut: false, PerUserLimit: 4, ReservationSeq: 1_000, new SaleSchedule(null, 1_764_000_060_000)),
        new ConfigureSale("s", new SaleSettings(10_000, 1, 300)),
        new ConfigureSale("s", new SaleSettings(10_000, 1, 300, new SaleSchedule(1_764_000_000_000, 1_764_000_060_000))),
        new AddStock("s", 5),
        new AddStock("s", 5, "op-1"),
        new SaleCommandResult("s", SaleCommandStatus.Conflict, new SaleSnapshot("s", 10, 4, 6, 1, 300, 4)),
        new SaleCommandResult("s", SaleCommandStatus.Updated, new SaleSnapshot("s", 10, 4, 6, 1, 300, 4, 9, new SaleSchedule(1_764_000_000_000, 1_764_000_060_000))),
        new SaleCommandResult("s", SaleCommandStatus.UnknownSale, null),
        new StockReleased("s"),
        new CloseSale("s"),
        new DeleteSale("s"),
        new SaleDeleted("s"),
        new SaleCommandResult("s", SaleCommandStatus.OrdersOpen, new SaleSnapshot("s", 10, 10, 0, 1, 300, 10)),
        new CreateOrder("s-1", "s", "u", 2, 1_764_000_000_000),
        new PayOrder("s-1"),
        new CancelOrder("s-1"),
        new ExpireOrder("s-1"),
        new GetOrder("s-1"),
        new OrderReply("s-1", OrderReplyStatus.AlreadyExpired, new OrderView("s-1", "s", "u", 2, 1_764_000_000_000, OrderState.Expired)),
        new OrderReply("s-1", OrderReplyStatus.UnknownOrder, null),
        new OrderCreated("s-1", "s", "u", 2, 1_764_000_000_000),
        new OrderPaid("s-1"),
        new OrderCancelled("s-1"),
        new OrderExpired("s-1"),
        new BuyRates("akka.tcp://spike@127.0.0.1:4053", 1_764_000_000_000, [new OutcomeRate(ReserveStatus.Reserved, 812.5), new OutcomeRate(ReserveStatus.SoldOut, 3)], 4.096),
        new BuyRates("akka.tcp://spike@127.0.0.1:4053", 1_764_000_000_000, [], null),
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
        var holder = new HolderState(41, 6, 9);
        var batch = new ReserveBatch("s", 3, [new ReserveItem("r1", "ü-user", 1, 1_764_000_000_000), new ReserveItem("r2", "u2", 2)], replyTo, holder);

        var copy = RoundTrip(batch);
        var lease = RoundTrip(new AcquireLease("s", 64, 2, true, replyTo, holder));
        var returned = RoundTrip(new LeaseReturned("s", replyTo, holder));

        Assert.Equal(batch.Items, copy.Items);
        Assert.Equal((batch.SaleId, batch.BatchId, replyTo, holder), (copy.SaleId, copy.BatchId, copy.ReplyTo, copy.Holder));
        Assert.Equal((64, 2, true, replyTo, holder), (lease.Wanted, lease.Needed, lease.Starving, lease.Holder, lease.State));
        Assert.Equal((replyTo, holder), (returned.Holder, returned.State));
    }

    [Fact]
    public void Should_carry_a_batchs_trace_context_as_a_remote_parent_when_it_has_one()
    {
        // arrange
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var batch = new ReserveBatch("s", 3, [new ReserveItem("r1", "u1", 1, 1_764_000_000_000)], CreateTestProbe().Ref, new HolderState(41, 6, 9), trace);

        // act
        var copy = RoundTrip(batch);

        // assert
        Assert.Equal((trace.TraceId, trace.SpanId, trace.TraceFlags), (copy.Trace.TraceId, copy.Trace.SpanId, copy.Trace.TraceFlags));
        Assert.True(copy.Trace.IsRemote);
        Assert.Equal(batch.Items, copy.Items);
        Assert.Equal((batch.SaleId, batch.BatchId, batch.ReplyTo, batch.Holder), (copy.SaleId, copy.BatchId, copy.ReplyTo, copy.Holder));
    }

    [Fact]
    public void Should_write_no_trace_bytes_when_a_batch_has_no_trace_context()
    {
        // arrange
        var untraced = new ReserveBatch("s", 3, [new ReserveItem("r1", "u1", 1)], ActorRefs.Nobody, new HolderState(41, 6, 9));
        var traced = untraced with { Trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded) };

        // act
        var untracedBytes = Serializer.ToBinary(untraced);
        var tracedBytes = Serializer.ToBinary(traced);

        // assert: the context is a suffix of 25 bytes (flags, trace id, span id), absent when there is none
        Assert.Equal(untracedBytes.Length + 25, tracedBytes.Length);
        Assert.Equal(untracedBytes, tracedBytes[..untracedBytes.Length]);
        Assert.Equal(default, RoundTrip(untraced).Trace);
    }

    [Fact]
    public void Should_refuse_a_cut_trace_context_and_one_with_zero_ids()
    {
        // arrange
        var untraced = new ReserveBatch("s", 3, [new ReserveItem("r1", "u1", 1)], ActorRefs.Nobody, new HolderState(41, 6, 9));
        var traced = Serializer.ToBinary(untraced with { Trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded) });
        var zeroIds = Serializer.ToBinary(untraced).Append((byte)ActivityTraceFlags.Recorded).Concat(new byte[24]).ToArray();

        // act and assert
        foreach (var bytes in new[] { traced[..^1], zeroIds, traced.Append((byte)0).ToArray() })
        {
            Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(untraced)));
        }
    }

    [Fact]
    public void Should_keep_a_full_batch_of_maximal_ids_and_its_answer_under_the_frame_size()
    {
        // 128 three-byte characters per id and a 64-character sale id: the largest a buyer can send.
        var sale = new string('s', 64);
        var maxId = new string('€', 128);
        var items = Enumerable.Range(0, 512).Select(i => new ReserveItem(maxId, maxId[..^4] + i.ToString("D4"), 1000, long.MaxValue)).ToList();
        var ledger = new Spike.Actors.Stock.StockLedger();
        ledger.Grant(items.Count * 1000);
        items.ForEach(item => ledger.TryTake(Spike.Actors.Stock.Buy.Create(sale, item)));

        var batches = ledger.TakeBatches(maxInFlight: 100, maxItems: Math.Min(512, WireLimits.MaxItemsPerBatch(sale)));

        Assert.True(batches.Count > 1, "a batch of maximal ids must be split");
        Assert.Equal(512, batches.Sum(b => b.Items.Count));
        foreach (var (batchId, batchItems) in batches)
        {
            var request = Serializer.ToBinary(new ReserveBatch(sale, batchId, batchItems, ActorRefs.Nobody, new HolderState(long.MaxValue, long.MaxValue, int.MaxValue)));
            var answer = Serializer.ToBinary(new BatchReserved(sale, long.MaxValue, long.MaxValue, batchId,
                batchItems.Select(_ => ItemOutcome.Reserved(sale + "-" + long.MaxValue, long.MaxValue, int.MaxValue) with { Remaining = long.MaxValue }).ToArray()));
            Assert.InRange(request.Length, 1, WireLimits.MaxBatchBytes);
            Assert.InRange(answer.Length, 1, WireLimits.MaxBatchBytes);
        }
    }

    [Fact]
    public void Should_refuse_trailing_bytes_an_undefined_status_and_a_count_larger_than_the_frame()
    {
        var valid = Serializer.ToBinary(new BatchReserved("s", 1, 1, 1, [ItemOutcome.SoldOut]));
        var trailing = valid.Append((byte)0).ToArray();
        var badStatus = (byte[])valid.Clone();
        badStatus[1 + 1 + 8 + 8 + 8 + 4] = 99; // the first outcome's status byte
        var hugeCount = (byte[])valid.Clone();
        BitConverter.GetBytes(int.MaxValue).CopyTo(hugeCount, 1 + 1 + 8 + 8 + 8);

        foreach (var bytes in new[] { trailing, badStatus, hugeCount, valid[..^3] })
        {
            Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(new BatchReserved("s", 1, 1, 1, []))));
        }
    }

    [Fact]
    public void Should_throw_a_serialization_exception_for_an_unknown_manifest()
    {
        Assert.Throws<SerializationException>(() => Serializer.FromBinary([1, 2, 3], "XX"));
    }

    private static string Describe(object message) => message switch
    {
        BatchReserved b => $"{b.SaleId}/{b.BatchId}/{string.Join(",", b.Outcomes)}",
        BuyRates r => $"{r.Node}/{r.AtUnixMs}/{string.Join(",", r.Outcomes)}/{r.P99Ms}",
        _ => message.ToString()!,
    };
}
