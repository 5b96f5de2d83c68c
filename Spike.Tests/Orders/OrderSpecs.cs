using Spike.Actors.Orders;

namespace Spike.Tests.Orders;

public sealed class OrderSpecs
{
    private const string Id = "s-1";
    private const long PayBy = 1_750_000_300_000;
    private const long BeforeDeadline = PayBy - 1;

    private static readonly CreateOrder Create = new(Id, "s", "u", 2, PayBy);

    private static Order Created()
    {
        var order = new Order();
        Run(order, Create, BeforeDeadline);
        return order;
    }

    /// <summary>Decides and applies, as the actor does once Redis agreed.</summary>
    private static OrderReply Run(Order order, IOrderCommand command, long now)
    {
        var decision = order.Decide(command, now);
        if (decision.Event is not null)
        {
            order.Apply(decision.Event);
        }
        return decision.Reply;
    }

    [Fact]
    public void Should_hold_the_reservation_when_created()
    {
        var order = new Order();

        var decision = order.Decide(Create, BeforeDeadline);
        order.Apply(decision.Event!);

        Assert.Equal(new OrderCreated(Id, "s", "u", 2, PayBy), decision.Event);
        Assert.Equal(OrderReplyStatus.Ok, decision.Reply.Status);
        Assert.Equal(new OrderView(Id, "s", "u", 2, PayBy, OrderState.Reserved), order.View);
        Assert.True(order.IsOpen);
    }

    [Fact]
    public void Should_stay_one_order_when_created_twice()
    {
        var order = Created();

        var decision = order.Decide(Create with { Quantity = 5 }, BeforeDeadline);

        Assert.Null(decision.Event);
        Assert.Equal(OrderReplyStatus.Ok, decision.Reply.Status);
        Assert.Equal(2, decision.Reply.Order!.Quantity);
    }

    [Theory]
    [InlineData(typeof(GetOrder))]
    [InlineData(typeof(PayOrder))]
    [InlineData(typeof(CancelOrder))]
    [InlineData(typeof(ExpireOrder))]
    public void Should_answer_unknown_and_change_nothing_when_the_order_was_never_created(Type commandType)
    {
        var order = new Order();
        var command = (IOrderCommand)Activator.CreateInstance(commandType, Id)!;

        var decision = order.Decide(command, BeforeDeadline);

        Assert.Null(decision.Event);
        Assert.Equal(new OrderReply(Id, OrderReplyStatus.UnknownOrder, null), decision.Reply);
        Assert.False(order.IsCreated);
    }

    [Fact]
    public void Should_be_paid_when_paid_before_the_deadline()
    {
        var order = Created();

        var decision = order.Decide(new PayOrder(Id), BeforeDeadline);
        order.Apply(decision.Event!);

        Assert.Equal(new OrderPaid(Id), decision.Event);
        Assert.Equal(OrderReplyStatus.Ok, decision.Reply.Status);
        Assert.Equal(OrderState.Paid, decision.Reply.Order!.State);
        Assert.Equal(OrderState.Paid, order.View!.State);
    }

    [Fact]
    public void Should_be_cancelled_when_cancelled_while_reserved()
    {
        var order = Created();

        var reply = Run(order, new CancelOrder(Id), BeforeDeadline);

        Assert.Equal(OrderReplyStatus.Ok, reply.Status);
        Assert.Equal(OrderState.Cancelled, order.View!.State);
        Assert.False(order.IsOpen);
    }

    [Fact]
    public void Should_be_expired_when_the_deadline_passes_unpaid()
    {
        var order = Created();

        var decision = order.Decide(new ExpireOrder(Id), PayBy);
        order.Apply(decision.Event!);

        Assert.Equal(new OrderExpired(Id), decision.Event);
        Assert.Equal(OrderState.Expired, order.View!.State);
    }

    [Fact]
    public void Should_stay_reserved_when_told_to_expire_before_the_deadline()
    {
        var order = Created();

        var decision = order.Decide(new ExpireOrder(Id), BeforeDeadline);

        Assert.Null(decision.Event);
        Assert.Equal(OrderState.Reserved, decision.Reply.Order!.State);
    }

    [Fact]
    public void Should_refuse_the_payment_and_expire_the_order_when_paid_after_the_deadline_before_the_timer_fired()
    {
        var order = Created();

        var decision = order.Decide(new PayOrder(Id), PayBy);
        order.Apply(decision.Event!);

        Assert.Equal(new OrderExpired(Id), decision.Event);
        Assert.Equal(OrderReplyStatus.AlreadyExpired, decision.Reply.Status);
        Assert.Equal(OrderState.Expired, order.View!.State);
    }

    [Theory]
    [InlineData(typeof(ExpireOrder), typeof(PayOrder), OrderReplyStatus.AlreadyExpired)]
    [InlineData(typeof(CancelOrder), typeof(PayOrder), OrderReplyStatus.AlreadyCancelled)]
    [InlineData(typeof(PayOrder), typeof(CancelOrder), OrderReplyStatus.AlreadyPaid)]
    [InlineData(typeof(ExpireOrder), typeof(CancelOrder), OrderReplyStatus.AlreadyExpired)]
    [InlineData(typeof(PayOrder), typeof(ExpireOrder), OrderReplyStatus.AlreadyPaid)]
    [InlineData(typeof(CancelOrder), typeof(ExpireOrder), OrderReplyStatus.AlreadyCancelled)]
    public void Should_refuse_and_keep_the_first_outcome_when_a_settled_order_is_told_otherwise(Type first, Type then, OrderReplyStatus refusal)
    {
        var order = Created();
        Run(order, (IOrderCommand)Activator.CreateInstance(first, Id)!, first == typeof(ExpireOrder) ? PayBy : BeforeDeadline);
        var settled = order.View;

        var decision = order.Decide((IOrderCommand)Activator.CreateInstance(then, Id)!, PayBy);

        Assert.Null(decision.Event);
        Assert.Equal(refusal, decision.Reply.Status);
        Assert.Equal(settled, decision.Reply.Order);
    }

    [Theory]
    [InlineData(typeof(PayOrder), OrderState.Paid)]
    [InlineData(typeof(CancelOrder), OrderState.Cancelled)]
    [InlineData(typeof(ExpireOrder), OrderState.Expired)]
    public void Should_answer_ok_again_and_record_nothing_when_a_command_is_repeated(Type commandType, OrderState state)
    {
        var order = Created();
        var command = (IOrderCommand)Activator.CreateInstance(commandType, Id)!;
        var now = commandType == typeof(ExpireOrder) ? PayBy : BeforeDeadline;
        Run(order, command, now);

        var decision = order.Decide(command, now + 1_000_000);

        Assert.Null(decision.Event);
        Assert.Equal(OrderReplyStatus.Ok, decision.Reply.Status);
        Assert.Equal(state, decision.Reply.Order!.State);
    }

    [Fact]
    public void Should_keep_the_first_settled_state_when_a_second_settling_event_is_applied()
    {
        var order = Created();
        order.Apply(new OrderPaid(Id));

        order.Apply(new OrderExpired(Id));

        Assert.Equal(OrderState.Paid, order.View!.State);
    }
}
