using Spike.Actors.Inventory;
using Spike.Actors.Stock;
using Spike.Tests.Support;

namespace Spike.Tests.Actors;

/// <summary>What the HTTP front answers alone for a sale with a schedule, by the node's clock.</summary>
public sealed class SaleBoardSpecs
{
    private const string Sale = "s1";
    private readonly ShiftedClock _clock = new();
    private readonly SaleBoard _board;
    private readonly long _now;

    public SaleBoardSpecs()
    {
        _board = new SaleBoard(_clock);
        _now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
    }

    [Fact]
    public void Should_answer_not_open_with_the_opening_instant_when_the_sale_has_not_opened()
    {
        _board.SetSchedule(Sale, new SaleSchedule(_now + 60_000, null));

        var answered = _board.TryAnswer(Sale, "u", "r", out var outcome);

        Assert.True(answered);
        Assert.Equal(ItemOutcome.NotOpen(_now + 60_000), outcome);
    }

    [Fact]
    public void Should_leave_buyers_to_the_stock_actor_once_the_node_clock_reaches_the_opening()
    {
        _board.SetSchedule(Sale, new SaleSchedule(_now + 60_000, null));

        _clock.Offset = TimeSpan.FromSeconds(60);

        Assert.False(_board.TryAnswer(Sale, "u", "r", out _));
    }

    [Fact]
    public void Should_answer_closed_without_a_request_id_and_pass_a_request_id_on_when_the_reservations_are_not_held()
    {
        _board.SetSchedule(Sale, new SaleSchedule(null, _now - 1));

        var withoutId = _board.TryAnswer(Sale, "u", null, out var outcome);
        var withId = _board.TryAnswer(Sale, "u", "r", out _);

        Assert.True(withoutId);
        Assert.Equal(ItemOutcome.Closed, outcome);
        Assert.False(withId); // may be a reserved buyer's retry: the StockActor reads the reservations
    }

    [Fact]
    public void Should_give_a_reserved_buyer_its_order_and_others_closed_when_a_sale_is_over_and_closed()
    {
        var order = ItemOutcome.Reserved("s1-1", _now + 300_000, 1);
        _board.SetSchedule(Sale, new SaleSchedule(null, _now + 60_000));
        _board.SetOver(Sale, [new ReservationEntry("winner", "r-w", order)]);
        Assert.True(_board.TryAnswer(Sale, "other", "r-o", out var beforeClosing));

        _clock.Offset = TimeSpan.FromSeconds(60);

        Assert.Equal(ItemOutcome.SoldOut, beforeClosing);
        Assert.True(_board.TryAnswer(Sale, "other", "r-o", out var afterClosing));
        Assert.True(_board.TryAnswer(Sale, "winner", "r-w", out var retry));
        Assert.Equal((ItemOutcome.Closed, order), (afterClosing, retry));
    }

    [Fact]
    public void Should_answer_nothing_for_a_sale_once_its_stock_actor_forgot_it()
    {
        _board.SetSchedule(Sale, new SaleSchedule(_now + 60_000, null));

        _board.Forget(Sale);

        Assert.False(_board.TryAnswer(Sale, "u", null, out _));
    }
}
