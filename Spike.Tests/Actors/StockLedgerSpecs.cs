using Spike.Actors.Inventory;
using Spike.Actors.Stock;

namespace Spike.Tests.Actors;

public sealed class StockLedgerSpecs
{
    private static Buy BuyOf(string user, int quantity = 1) => Buy.Create("s", new ReserveItem("r-" + user, user, quantity));

    private static ItemOutcome? OutcomeOf(Buy buy) => buy.Completion.Task.IsCompletedSuccessfully ? buy.Completion.Task.Result : null;

    private static StockLedger WithAllotment(int allotment)
    {
        var ledger = new StockLedger();
        ledger.Grant(allotment);
        return ledger;
    }

    [Theory]
    [InlineData(3, 3, true, 0)]
    [InlineData(3, 4, false, 3)]
    [InlineData(0, 1, false, 0)]
    public void Should_take_a_buyer_only_when_the_allotment_covers_its_quantity(int allotment, int quantity, bool taken, int left)
    {
        var ledger = WithAllotment(allotment);

        Assert.Equal(taken, ledger.TryTake(BuyOf("u", quantity)));
        Assert.Equal(left, ledger.Allotment);
    }

    [Fact]
    public void Should_not_let_a_new_buyer_pass_one_that_waits()
    {
        var ledger = WithAllotment(1);
        ledger.Wait(BuyOf("first", 2));

        Assert.False(ledger.TryTake(BuyOf("second")));
        Assert.Equal(1, ledger.Allotment);
    }

    [Fact]
    public void Should_send_waiting_buyers_without_allotment_in_order_and_give_nothing_back_for_them()
    {
        var ledger = WithAllotment(0);
        var answered = BuyOf("gone");
        answered.Completion.TrySetResult(ItemOutcome.Unavailable);
        foreach (var buy in new[] { BuyOf("a", 2), answered, BuyOf("b") })
        {
            ledger.Wait(buy);
        }

        ledger.TakeWaitingUnmetered();
        var (batchId, items) = ledger.TakeBatches(1, 10).Single();
        ledger.Complete(batchId, [ItemOutcome.Unavailable, ItemOutcome.Unavailable]); // would give allotment back, had they drawn any

        Assert.Equal(["a", "b"], items.Select(i => i.UserId));
        Assert.Equal((0, 0), (ledger.WaitingCount, ledger.Allotment));
    }

    [Fact]
    public void Should_serve_waiting_buyers_in_order_and_refuse_those_above_the_limit()
    {
        var ledger = WithAllotment(0);
        var tooMany = BuyOf("greedy", 3);
        var first = BuyOf("a");
        var second = BuyOf("b", 2);
        var third = BuyOf("c");
        foreach (var buy in new[] { tooMany, first, second, third })
        {
            ledger.Wait(buy);
        }
        ledger.Grant(2);

        ledger.ServeWaiting(perUserLimit: 2);

        Assert.Equal(ReserveStatus.QuantityAboveLimit, OutcomeOf(tooMany)!.Status);
        Assert.Equal((2, 2), (ledger.WaitingCount, ledger.FirstWaitingQuantity)); // b waits for its 2; c waits behind it
        Assert.Equal(["a"], ledger.TakeBatches(1, 10).Single().Items.Select(i => i.UserId));
    }

    [Fact]
    public void Should_refuse_at_once_every_waiting_buyer_who_asks_for_more_than_is_left()
    {
        var ledger = WithAllotment(0);
        var big = BuyOf("big", 4);
        var overLimit = BuyOf("over", 6);
        var small = BuyOf("small", 2);
        ledger.Wait(big);
        ledger.Wait(overLimit);
        ledger.Wait(small);

        ledger.RefuseAbove(available: 3, perUserLimit: 5);

        Assert.Equal(ItemOutcome.NotEnough(3), OutcomeOf(big));
        Assert.Equal(ItemOutcome.QuantityAboveLimit, OutcomeOf(overLimit));
        Assert.Null(OutcomeOf(small));
        Assert.Equal(2, ledger.FirstWaitingQuantity);
    }

    public static TheoryData<ItemOutcome, int> OutcomesAndAllotmentAfter => new()
    {
        { ItemOutcome.Reserved("s-1", 0, 2), 0 },
        { ItemOutcome.LimitReached, 2 },
        { ItemOutcome.Unavailable, 2 },
        { ItemOutcome.SoldOut, 0 },
        { ItemOutcome.NotEnough(1), 0 },
        { ItemOutcome.UnknownSale, 0 },
    };

    [Theory]
    [MemberData(nameof(OutcomesAndAllotmentAfter))]
    public void Should_answer_the_buyer_and_take_back_only_what_the_outcome_returns(ItemOutcome outcome, int allotmentAfter)
    {
        var ledger = WithAllotment(2);
        var buy = BuyOf("u", 2);
        ledger.TryTake(buy);
        var (batchId, _) = ledger.TakeBatches(1, 10).Single();

        Assert.True(ledger.Complete(batchId, [outcome]));

        Assert.Equal(outcome, OutcomeOf(buy));
        Assert.Equal(allotmentAfter, ledger.Allotment);
        Assert.False(ledger.HasBuyers);
    }

    [Fact]
    public void Should_tell_buyers_of_a_timed_out_batch_to_retry_and_ignore_its_late_answer()
    {
        var ledger = WithAllotment(1);
        var buy = BuyOf("u");
        ledger.TryTake(buy);
        var (batchId, _) = ledger.TakeBatches(1, 10).Single();

        Assert.True(ledger.Complete(batchId, [])); // timed out: no outcomes
        Assert.False(ledger.Complete(batchId, [ItemOutcome.Reserved("s-1", 0, 1)]));

        Assert.Equal(ItemOutcome.Unavailable, OutcomeOf(buy));
        Assert.Equal(1, ledger.Allotment);
    }

    [Fact]
    public void Should_keep_batches_within_the_in_flight_limit_the_count_and_the_bytes()
    {
        var ledger = WithAllotment(1_000);
        var longId = new string('€', 128);
        for (var i = 0; i < 600; i++)
        {
            ledger.TryTake(Buy.Create("s", new ReserveItem(longId, longId[..^3] + i.ToString("D3"), 1)));
        }

        var batches = ledger.TakeBatches(maxInFlight: 2, maxItems: 512);

        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.True(b.Items.Sum(WireLimits.ItemBytes) <= WireLimits.MaxBatchBytes));
        Assert.Empty(ledger.TakeBatches(maxInFlight: 2, maxItems: 512)); // both slots are taken
    }

    [Fact]
    public void Should_leave_out_buyers_answered_before_their_batch_left_and_take_their_tickets_back()
    {
        var ledger = WithAllotment(3);
        var gone = BuyOf("gone", 2);
        var stays = BuyOf("stays");
        ledger.TryTake(gone);
        ledger.TryTake(stays);
        gone.Completion.TrySetCanceled();

        var batch = ledger.TakeBatches(1, 10).Single();

        Assert.Equal(["stays"], batch.Items.Select(i => i.UserId));
        Assert.Equal(2, ledger.Allotment);
    }

    [Fact]
    public void Should_answer_every_buyer_it_holds_when_the_actor_stops()
    {
        var ledger = WithAllotment(2);
        var inFlight = BuyOf("a");
        var queued = BuyOf("b");
        var waiting = BuyOf("c", 5);
        ledger.TryTake(inFlight);
        ledger.TakeBatches(1, 10);
        ledger.TryTake(queued);
        ledger.Wait(waiting);

        ledger.AnswerAll(ItemOutcome.Unavailable);

        Assert.All(new[] { inFlight, queued, waiting }, b => Assert.Equal(ItemOutcome.Unavailable, OutcomeOf(b)));
        Assert.False(ledger.HasBuyers);
    }

    [Fact]
    public void Should_expire_only_buyers_created_before_the_cutoff()
    {
        var ledger = WithAllotment(0);
        var old = BuyOf("old") with { CreatedAt = 100 };
        var young = BuyOf("young") with { CreatedAt = 300 };
        ledger.Wait(old);
        ledger.Wait(young);

        ledger.ExpireWaiting(cutoff: 200);

        Assert.Equal(ItemOutcome.Unavailable, OutcomeOf(old));
        Assert.Null(OutcomeOf(young));
    }
}
