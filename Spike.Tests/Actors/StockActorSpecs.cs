using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Actors;

public sealed class StockActorSpecs : TestKit
{
    private const string Sale = "s1";

    private static readonly StockSettings Settings = StockSettings.Default with
    {
        LeaseChunk = 100,
        MaxBatchesInFlight = 1,
        BatchTimeout = TimeSpan.FromSeconds(30),
        FallbackAfter = TimeSpan.FromSeconds(30),
        LeaseTimeout = TimeSpan.FromSeconds(30),
    };

    private readonly ShiftedClock _clock = new();
    private readonly SaleBoard _board;
    private readonly InMemoryInventoryStore _store;

    public StockActorSpecs(ITestOutputHelper output) : base(output: output)
    {
        _board = new SaleBoard(_clock);
        _store = new InMemoryInventoryStore(_clock);
    }

    private long ClockNow => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static Task<ItemOutcome> OutcomeOf(Buy buy) => buy.Completion.Task.WaitAsync(TimeSpan.FromSeconds(5));

    private static Buy NewBuy(string user, int quantity = 1) => Buy.Create(Sale, new ReserveItem($"r-{user}", user, quantity));

    /// <summary>The InventoryActor as a StockActor sees it: a probe that numbers its messages per incarnation.</summary>
    private sealed class Inventory(TestProbe probe, IActorRef stock)
    {
        private long _seq;

        public TestProbe Probe => probe;

        public long Incarnation { get; private set; }

        /// <summary>Learns the actor's incarnation from what it reports when asked to release.</summary>
        public HolderState Handshake()
        {
            stock.Tell(new ReleaseLease(Sale));
            var state = probe.ExpectMsg<LeaseReturned>().State;
            Incarnation = state.Incarnation;
            return state;
        }

        public void Grant(int granted, int perUserLimit = 1, long available = 1_000, SaleSchedule schedule = default) =>
            stock.Tell(new LeaseGranted(Sale, Incarnation, ++_seq, granted, perUserLimit, available, schedule));

        public void Answer(ReserveBatch batch, params ItemOutcome[] outcomes) =>
            stock.Tell(new BatchReserved(Sale, Incarnation, ++_seq, batch.BatchId, outcomes));

        /// <summary>The lease book's idle sweep took the allotment back.</summary>
        public void Revoke() => stock.Tell(new LeaseRevoked(Sale, Incarnation, ++_seq));

        /// <summary>
        /// What the actor holds, as the next message it sends: a lease request sent before it (a top-up) fails the
        /// expectation.
        /// </summary>
        public HolderState NextMessageIsTheRelease()
        {
            stock.Tell(new ReleaseLease(Sale));
            return probe.ExpectMsg<LeaseReturned>().State;
        }
    }

    private (IActorRef Stock, Inventory Inventory) Start(StockSettings? settings = null)
    {
        var probe = CreateTestProbe();
        var stock = Sys.ActorOf(StockActor.Props(Sale, probe.Ref, _store, settings ?? Settings, _board));
        var inventory = new Inventory(probe, stock);
        inventory.Handshake();
        return (stock, inventory);
    }

    /// <param name="ignoreTopUps">Drop the lease top-ups a small grant triggers at once (set before the grant, or one can slip through).</param>
    private (IActorRef Stock, Inventory Inventory) StartWithLease(int granted, StockSettings? settings = null, bool ignoreTopUps = false)
    {
        var (stock, inventory) = Start(settings);
        if (ignoreTopUps)
        {
            inventory.Probe.IgnoreMessages(m => m is AcquireLease);
        }
        inventory.Grant(granted);
        return (stock, inventory);
    }

    [Fact]
    public void Should_ask_for_a_lease_and_then_send_the_waiting_buyer_when_it_has_no_allotment()
    {
        var (stock, inventory) = Start();

        stock.Tell(NewBuy("u1"));

        var lease = inventory.Probe.ExpectMsg<AcquireLease>();
        Assert.Equal(Settings.LeaseChunk, lease.Wanted);
        Assert.True(lease.Starving);
        inventory.Grant(10);
        var batch = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal("u1", Assert.Single(batch.Items).UserId);
        Assert.Equal(9, batch.Holder.Allotment);
    }

    [Fact]
    public async Task Should_send_requests_arriving_during_a_call_as_one_batch()
    {
        var (stock, inventory) = StartWithLease(100);
        var first = NewBuy("u0");
        var rest = Enumerable.Range(1, 5).Select(i => NewBuy($"u{i}")).ToArray();

        stock.Tell(first);
        var firstBatch = inventory.Probe.ExpectMsg<ReserveBatch>();
        foreach (var buy in rest)
        {
            stock.Tell(buy);
        }
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        inventory.Answer(firstBatch, ItemOutcome.Reserved("s1-1", 0, 1));

        var secondBatch = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal(rest.Select(b => b.Item), secondBatch.Items);
        Assert.Equal(ReserveStatus.Reserved, (await OutcomeOf(first)).Status);
        Assert.Same(stock, secondBatch.ReplyTo);
    }

    [Fact]
    public void Should_sell_its_whole_allotment_and_not_one_less()
    {
        var (stock, inventory) = StartWithLease(3, Settings with { MaxBatchesInFlight = 3 }, ignoreTopUps: true);

        for (var i = 0; i < 3; i++)
        {
            stock.Tell(NewBuy($"u{i}"));
        }

        var sent = Enumerable.Range(0, 3).SelectMany(_ => inventory.Probe.ExpectMsg<ReserveBatch>().Items).ToList();
        Assert.Equal(3, sent.Count);
    }

    [Fact]
    public void Should_give_allotment_back_when_the_authority_refuses()
    {
        var (stock, inventory) = StartWithLease(1, ignoreTopUps: true);
        stock.Tell(NewBuy("u1"));
        var batch = inventory.Probe.ExpectMsg<ReserveBatch>();

        inventory.Answer(batch, ItemOutcome.LimitReached);
        stock.Tell(NewBuy("u2"));

        // The refused ticket went back into the allotment: u2 goes out without a new lease.
        var next = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal("u2", Assert.Single(next.Items).UserId);
    }

    [Fact]
    public void Should_drop_allotment_the_authority_says_it_does_not_have()
    {
        var (stock, inventory) = StartWithLease(2, ignoreTopUps: true);
        stock.Tell(NewBuy("u1"));
        var batch = inventory.Probe.ExpectMsg<ReserveBatch>();

        inventory.Answer(batch, ItemOutcome.SoldOut);
        stock.Tell(NewBuy("u2"));

        // The lease was stale: that ticket is not given back, so u2 takes the last one and 0 are left, not 1.
        var next = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal(("u2", 0), (Assert.Single(next.Items).UserId, next.Holder.Allotment));
    }

    [Fact]
    public async Task Should_give_allotment_back_and_answer_unavailable_when_a_batch_times_out()
    {
        var (stock, inventory) = StartWithLease(1, Settings with { BatchTimeout = TimeSpan.FromMilliseconds(200) }, ignoreTopUps: true);
        var buy = NewBuy("u1");
        stock.Tell(buy);
        inventory.Probe.ExpectMsg<ReserveBatch>();

        var outcome = await OutcomeOf(buy);

        Assert.Equal(ReserveStatus.Unavailable, outcome.Status);
        stock.Tell(NewBuy("u2"));
        Assert.Equal("u2", Assert.Single(inventory.Probe.ExpectMsg<ReserveBatch>().Items).UserId);
    }

    [Fact]
    public async Task Should_tell_a_buyer_to_retry_when_it_waited_longer_than_the_limit_for_allotment()
    {
        var (stock, inventory) = Start(Settings with { MaxWait = TimeSpan.FromMilliseconds(300) });
        var buy = NewBuy("u1");

        stock.Tell(buy);
        inventory.Probe.ExpectMsg<AcquireLease>(); // never answered

        Assert.Equal(ReserveStatus.Unavailable, (await OutcomeOf(buy)).Status);
    }

    [Fact]
    public async Task Should_ask_again_for_an_unanswered_lease_and_sell_its_waiting_buyer_directly_meanwhile()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300));
        var (stock, inventory) = Start(Settings with { LeaseTimeout = TimeSpan.FromMilliseconds(200), MaxWait = TimeSpan.FromSeconds(30) });
        var buy = NewBuy("u1");

        stock.Tell(buy);
        inventory.Probe.ExpectMsg<AcquireLease>(); // lost

        Assert.Equal(ReserveStatus.Reserved, (await OutcomeOf(buy)).Status);
        inventory.Probe.ExpectMsg<AcquireLease>(TimeSpan.FromSeconds(3)); // asked again
        Assert.Equal(1, _store.Snapshot(Sale)!.Held);
    }

    [Fact]
    public async Task Should_answer_every_buyer_from_the_board_after_sell_out_and_give_a_reserved_buyer_its_order()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(1, 1, 300));
        var reserved = (await _store.ReserveAsync(Sale, [new ReserveItem("proxy-id-1", "winner", 1)])).Outcomes[0];
        var (stock, inventory) = StartWithLease(50);

        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true, PerUserLimit: 1, ReservationSeq: 1));
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "nobody", null, out _)));

        var buys = Enumerable.Range(0, 50).Select(i => NewBuy($"u{i}")).Append(Buy.Create(Sale, new ReserveItem("proxy-id-1", "winner", 1))).ToArray();
        foreach (var buy in buys)
        {
            stock.Tell(buy);
        }
        var outcomes = await Task.WhenAll(buys.Select(OutcomeOf));

        Assert.All(outcomes[..^1], o => Assert.Equal(ReserveStatus.SoldOut, o.Status));
        Assert.Equal(reserved, outcomes[^1]);
        Assert.True(_board.TryAnswer(Sale, "winner", "proxy-id-1", out var fromBoard));
        Assert.Equal(reserved, fromBoard);
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_answer_buyers_from_the_store_while_the_reservations_are_read_when_the_sale_sells_out()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(1, 1, 300));
        var reserved = (await _store.ReserveAsync(Sale, [new ReserveItem("r-winner", "winner", 1)])).Outcomes[0];
        var (stock, inventory) = Start();
        var retry = NewBuy("winner");
        stock.Tell(retry);
        inventory.Probe.ExpectMsg<AcquireLease>();
        _store.HoldReservationReads();

        inventory.Grant(0, available: 0);
        var late = NewBuy("late");
        stock.Tell(late);

        Assert.Equal(reserved, await OutcomeOf(retry));
        Assert.Equal(ReserveStatus.SoldOut, (await OutcomeOf(late)).Status);
        Assert.False(_board.TryAnswer(Sale, "late", "r-late", out _)); // the list is still being read
        _store.ReleaseReservationReads();
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "winner", "r-winner", out var o) && o == reserved));
    }

    [Fact]
    public async Task Should_read_the_reservations_again_when_a_buyer_was_reserved_while_they_were_read()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(1, 1, 300));
        await _store.ReserveAsync(Sale, [new ReserveItem("r-a", "a", 1)]);
        var (stock, inventory) = Start();
        _store.HoldReservationReads();
        inventory.Grant(0, available: 0);
        await AwaitAssertAsync(() => Assert.Equal(1, _store.ReservationReads));

        await _store.AddStockAsync(Sale, 1, operationId: null); // back in stock before the node heard of it
        var lucky = NewBuy("lucky");
        stock.Tell(lucky);
        var reserved = await OutcomeOf(lucky);
        Assert.Equal(ReserveStatus.Reserved, reserved.Status);
        _store.ReleaseReservationReads();

        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "lucky", "r-lucky", out var o) && o == reserved));
        Assert.Equal(2, _store.ReservationReads);
    }

    [Fact]
    public async Task Should_read_the_reservations_again_when_the_sale_sold_out_again_with_newer_ones()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(2, 1, 300));
        await _store.ReserveAsync(Sale, [new ReserveItem("r-a", "a", 1)]);
        var (stock, _) = Start();
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true, PerUserLimit: 1, ReservationSeq: 1));
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "b", "r-b", out var o) && o.Status == ReserveStatus.SoldOut));

        // The node missed "back in stock" and the next sell-out; only the sequence tells it.
        var later = (await _store.ReserveAsync(Sale, [new ReserveItem("r-b", "b", 1)])).Outcomes[0];
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true, PerUserLimit: 1, ReservationSeq: 2));

        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "b", "r-b", out var o) && o == later));
    }

    [Fact]
    public void Should_reopen_when_the_sale_is_back_in_stock()
    {
        var (stock, inventory) = StartWithLease(0);
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true, PerUserLimit: 1, ReservationSeq: 0));
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0));

        stock.Tell(NewBuy("u1"));

        inventory.Probe.FishForMessage<AcquireLease>(lease => lease.Starving);
        Assert.False(_board.TryAnswer(Sale, "u1", null, out _));
    }

    [Fact]
    public async Task Should_answer_not_enough_left_at_once_and_still_serve_the_buyers_behind()
    {
        var (stock, inventory) = Start();
        var big = NewBuy("big", quantity: 4);
        var small = NewBuy("small");
        stock.Tell(big);
        stock.Tell(small);
        Assert.Equal(4, inventory.Probe.ExpectMsg<AcquireLease>().Needed);

        inventory.Grant(3, perUserLimit: 4, available: 3);

        var refused = await OutcomeOf(big);
        Assert.Equal(ReserveStatus.NotEnoughLeft, refused.Status);
        Assert.Equal(3, refused.Remaining);
        Assert.Equal("small", Assert.Single(inventory.Probe.FishForMessage<ReserveBatch>(_ => true).Items).UserId);
    }

    [Fact]
    public async Task Should_refuse_a_quantity_above_the_per_user_limit_without_deducting()
    {
        var (stock, inventory) = StartWithLease(50);
        var tooMany = NewBuy("u1", quantity: 2);

        stock.Tell(tooMany);

        Assert.Equal(ReserveStatus.QuantityAboveLimit, (await OutcomeOf(tooMany)).Status);
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Should_apply_a_new_per_user_limit_from_the_sale_status_at_once()
    {
        var (stock, inventory) = StartWithLease(50, ignoreTopUps: true);

        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 2, ReservationSeq: 0));
        var pair = NewBuy("u1", quantity: 2);
        stock.Tell(pair);

        Assert.Equal(2, Assert.Single(inventory.Probe.ExpectMsg<ReserveBatch>().Items).Quantity);
        Assert.False(pair.IsAnswered);
    }

    [Fact]
    public void Should_return_unused_allotment_when_the_inventory_asks_for_it()
    {
        var (stock, inventory) = StartWithLease(40);

        stock.Tell(new ReleaseLease(Sale));

        var returned = inventory.Probe.ExpectMsg<LeaseReturned>();
        Assert.Equal(0, returned.State.Allotment);
        Assert.Equal(1, returned.State.AckedSeq);
        Assert.Same(stock, returned.Holder);
    }

    [Fact]
    public void Should_ask_for_no_allotment_when_its_lease_is_revoked_or_a_status_comes_with_no_buyer_waiting()
    {
        var (stock, inventory) = StartWithLease(40);

        inventory.Revoke();
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0));

        // Neither is a buyer: a top-up would be revoked again at the next sweep, a lease round for as long as the sale lasts.
        Assert.Equal(0, inventory.NextMessageIsTheRelease().Allotment);
        stock.Tell(NewBuy("u1"));
        Assert.True(inventory.Probe.ExpectMsg<AcquireLease>().Starving);
    }

    [Fact]
    public void Should_tell_its_parent_it_is_idle_when_only_the_periodic_sale_status_comes()
    {
        var parent = CreateTestProbe();
        var stock = parent.ChildActorOf(StockActor.Props(Sale, CreateTestProbe().Ref, _store, Settings with { IdleTimeout = TimeSpan.FromMilliseconds(500) }, _board));

        // The InventoryActor republishes the status every few seconds; here far more often than the idle timeout.
        var statuses = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(100), stock,
            new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0), ActorRefs.NoSender);
        try
        {
            Assert.Equal(Sale, parent.ExpectMsg<StockManagerActor.ChildIdle>(TimeSpan.FromSeconds(5)).SaleId);
        }
        finally
        {
            statuses.Cancel();
        }
    }

    [Fact]
    public void Should_ignore_lease_messages_meant_for_an_earlier_incarnation()
    {
        var (stock, inventory) = Start();

        stock.Tell(new LeaseGranted(Sale, inventory.Incarnation + 1, 1, 50, 1, 50));
        stock.Tell(NewBuy("u1"));

        // The stale grant was not applied: the buyer waits for a lease of this incarnation's own.
        var lease = inventory.Probe.ExpectMsg<AcquireLease>();
        Assert.Equal((0, 0L), (lease.State.Allotment, lease.State.AckedSeq));
    }

    [Fact]
    public void Should_skip_a_waiting_buyer_whose_request_has_already_been_answered()
    {
        var (stock, inventory) = Start();
        var abandoned = NewBuy("gone");
        var waiting = NewBuy("u1");
        stock.Tell(abandoned);
        stock.Tell(waiting);
        inventory.Probe.ExpectMsg<AcquireLease>();
        abandoned.Completion.TrySetCanceled();

        inventory.Grant(10);

        var batch = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal("u1", Assert.Single(batch.Items).UserId);
    }

    [Fact]
    public void Should_not_send_a_buyer_whose_deadline_passed_while_its_batch_waited_and_keep_its_ticket()
    {
        var (stock, inventory) = StartWithLease(10, ignoreTopUps: true);
        stock.Tell(NewBuy("u1"));
        var first = inventory.Probe.ExpectMsg<ReserveBatch>();
        var late = NewBuy("late");
        stock.Tell(late);
        late.Completion.TrySetCanceled(); // its HTTP deadline passed while the batch in flight held it back

        inventory.Answer(first, ItemOutcome.Reserved("s1-1", 0, 1));
        stock.Tell(NewBuy("next"));

        // "late" never leaves the node and its ticket is back: 10 - u1 - next = 8 left.
        var batch = inventory.Probe.ExpectMsg<ReserveBatch>();
        Assert.Equal(("next", 8), (Assert.Single(batch.Items).UserId, batch.Holder.Allotment));
    }

    [Fact]
    public async Task Should_let_the_front_answer_an_unknown_sale()
    {
        var (stock, inventory) = Start();
        var buy = NewBuy("u1");
        stock.Tell(buy);
        inventory.Probe.ExpectMsg<AcquireLease>();

        stock.Tell(new SaleUnknown(Sale));

        Assert.Equal(ReserveStatus.UnknownSale, (await OutcomeOf(buy)).Status);
        Assert.True(_board.TryAnswer(Sale, "u2", null, out var fromBoard));
        Assert.Equal(ReserveStatus.UnknownSale, fromBoard.Status);
    }

    [Fact]
    public async Task Should_sell_directly_against_the_store_while_the_inventory_does_not_answer_and_go_back_to_leases_when_it_does()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(100, 1, 300));
        var (stock, inventory) = StartWithLease(10, Settings with { FallbackAfter = TimeSpan.FromMilliseconds(200) }, ignoreTopUps: true);
        var first = NewBuy("u1");

        stock.Tell(first);
        var unanswered = inventory.Probe.ExpectMsg<ReserveBatch>(); // its node died: never answered

        Assert.Equal(ReserveStatus.Reserved, (await OutcomeOf(first)).Status);
        var direct = Enumerable.Range(2, 5).Select(i => NewBuy($"u{i}")).ToArray();
        foreach (var buy in direct)
        {
            stock.Tell(buy);
        }
        Assert.All(await Task.WhenAll(direct.Select(OutcomeOf)), o => Assert.Equal(ReserveStatus.Reserved, o.Status));
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // none of them went to the silent inventory

        inventory.Grant(10); // a new InventoryActor answers
        stock.Tell(NewBuy("u9"));

        Assert.Equal("u9", Assert.Single(inventory.Probe.ExpectMsg<ReserveBatch>().Items).UserId);
        Assert.Equal(6, _store.Snapshot(Sale)!.Held);
        Assert.Equal("u1", Assert.Single(unanswered.Items).UserId);
    }

    // ---- the sale's schedule, by the node's clock ----

    [Fact]
    public async Task Should_answer_a_waiting_buyer_not_open_and_send_nothing_when_the_lease_says_the_sale_opens_later()
    {
        var (stock, inventory) = Start();
        var early = NewBuy("early");
        stock.Tell(early);
        inventory.Probe.ExpectMsg<AcquireLease>();
        var opensAt = ClockNow + 60_000;

        inventory.Grant(10, schedule: new SaleSchedule(opensAt, null));

        Assert.Equal(ItemOutcome.NotOpen(opensAt), await OutcomeOf(early));
        Assert.True(_board.TryAnswer(Sale, "next", "r-next", out var fromBoard));
        Assert.Equal(ItemOutcome.NotOpen(opensAt), fromBoard);
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Should_sell_once_the_node_clock_reaches_the_opening_without_being_told()
    {
        var (stock, inventory) = StartWithLease(0, ignoreTopUps: true);
        inventory.Grant(10, schedule: new SaleSchedule(ClockNow + 60_000, null));
        var early = NewBuy("early");
        stock.Tell(early);
        Assert.Equal(ReserveStatus.NotOpen, (await OutcomeOf(early)).Status);

        _clock.Offset = TimeSpan.FromSeconds(60);
        stock.Tell(NewBuy("on-time"));

        Assert.Equal("on-time", Assert.Single(inventory.Probe.ExpectMsg<ReserveBatch>().Items).UserId);
        Assert.False(_board.TryAnswer(Sale, "later", null, out _));
    }

    [Fact]
    public async Task Should_read_the_reservations_when_the_closing_passes_and_then_answer_closed_from_the_board()
    {
        var closesAt = ClockNow + 60_000;
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300, new SaleSchedule(null, closesAt)));
        var reserved = (await _store.ReserveAsync(Sale, [new ReserveItem("r-winner", "winner", 1)])).Outcomes[0];
        var (stock, inventory) = StartWithLease(5, ignoreTopUps: true);
        inventory.Grant(0, schedule: new SaleSchedule(null, closesAt));

        _clock.Offset = TimeSpan.FromSeconds(60);
        var late = NewBuy("late");
        var retry = NewBuy("winner");
        stock.Tell(late);
        stock.Tell(retry);

        Assert.Equal(ReserveStatus.Closed, (await OutcomeOf(late)).Status); // the store, while the list is read
        Assert.Equal(reserved, await OutcomeOf(retry));
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "winner", "r-winner", out var o) && o == reserved));
        Assert.True(_board.TryAnswer(Sale, "another", "r-another", out var closed));
        Assert.Equal(ItemOutcome.Closed, closed);
        Assert.Equal(1, _store.Snapshot(Sale)!.Held);
        inventory.Probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // no batch went to the inventory
    }

    [Fact]
    public async Task Should_sell_again_when_a_status_moves_the_closing_later()
    {
        var closed = new SaleSchedule(null, ClockNow - 1);
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300, closed));
        var (stock, inventory) = StartWithLease(0);
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0, closed));
        var refused = NewBuy("refused");
        stock.Tell(refused);
        Assert.Equal(ReserveStatus.Closed, (await OutcomeOf(refused)).Status);
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "x", "r-x", out var o) && o == ItemOutcome.Closed));

        var later = new SaleSchedule(null, ClockNow + 60_000);
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(10, 1, 300, later));
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: false, PerUserLimit: 1, ReservationSeq: 0, later));

        await AwaitAssertAsync(() => Assert.False(_board.TryAnswer(Sale, "x", "r-x", out _)));
        stock.Tell(NewBuy("buyer"));
        inventory.Probe.FishForMessage<AcquireLease>(lease => lease.Starving); // selling again: it asks for allotment
    }

    [Fact]
    public async Task Should_forget_the_sale_and_answer_unknown_sale_when_it_is_deleted()
    {
        await _store.ConfigureSaleAsync(Sale, new SaleSettings(1, 1, 300));
        await _store.ReserveAsync(Sale, [new ReserveItem("r-a", "a", 1)]);
        var (stock, _) = Start();
        stock.Tell(new SaleStatusChanged(Sale, SoldOut: true, PerUserLimit: 1, ReservationSeq: 1));
        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "a", "r-a", out var o) && o.Status == ReserveStatus.Reserved));

        stock.Tell(new SaleDeleted(Sale));

        await AwaitAssertAsync(() => Assert.True(_board.TryAnswer(Sale, "a", "r-a", out var o) && o.Status == ReserveStatus.UnknownSale));
    }
}
