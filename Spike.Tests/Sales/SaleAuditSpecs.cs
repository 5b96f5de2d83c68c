using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using StackExchange.Redis;

namespace Spike.Tests.Sales;

/// <summary>The audit against sales written straight into Redis, healthy and broken in one way each.</summary>
[Collection(RedisCollection.Name)]
public sealed class SaleAuditSpecs(RedisServerFixture redis)
{
    private IDatabase Db => redis.Database;

    [Fact]
    public async Task Should_pass_every_check_when_a_sold_out_sale_and_its_answers_agree()
    {
        var sale = await WriteSaleAsync(total: 3, limit: 1, ("ann", 1), ("bob", 1), ("cy", 1));

        var audit = await SaleAudit.ReadAsync(Db, sale, Answers(sale, ("ann", 1), ("bob", 2), ("cy", 3)), new SaleAuditOptions { ExpectSoldOut = true });

        Assert.True(audit.Passed, audit.ToString());
        Assert.All(audit.Checks, c => Assert.Equal(AuditVerdict.Pass, c.Verdict));
        Assert.Equal(new SaleCounts(3, 3, 0, 1, 3, 3, 3, 3, 3, 1), audit.Counts);
    }

    [Fact]
    public async Task Should_skip_sold_equals_stock_when_tickets_are_left_and_a_sell_out_is_not_expected()
    {
        var sale = await WriteSaleAsync(total: 5, limit: 1, ("ann", 1));

        var open = await SaleAudit.ReadAsync(Db, sale);
        var expectedSoldOut = await SaleAudit.ReadAsync(Db, sale, options: new SaleAuditOptions { ExpectSoldOut = true });

        Assert.True(open.Passed, open.ToString());
        Assert.Equal(AuditVerdict.Skip, Verdict(open, "total sold == stock"));
        Assert.Equal(AuditVerdict.Fail, Verdict(expectedSoldOut, "total sold == stock"));
    }

    [Fact]
    public async Task Should_fail_the_limit_check_when_a_user_holds_more_than_the_limit()
    {
        var sale = await WriteSaleAsync(total: 2, limit: 1, ("ann", 1), ("ann", 1));

        var audit = await SaleAudit.ReadAsync(Db, sale);

        Assert.False(audit.Passed);
        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "no user over the limit (1)"));
        Assert.Contains("max 2 per user, 1 above", audit.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_the_answer_checks_when_an_order_is_answered_twice_or_is_not_in_redis()
    {
        var sale = await WriteSaleAsync(total: 2, limit: 1, ("ann", 1), ("bob", 1));

        var audit = await SaleAudit.ReadAsync(Db, sale,
            [new ReservedAnswer($"{sale}-1", "ann"), new ReservedAnswer($"{sale}-1", "ann"), new ReservedAnswer($"{sale}-9", "cy")]);

        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "reserved answers == held"));
        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "one reserved answer per buyer"));
        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "every reserved answer in Redis"));
        Assert.Contains("2 of 3 order ids", audit.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_when_held_and_available_do_not_add_up_or_the_order_stream_misses_an_entry()
    {
        var sale = await WriteSaleAsync(total: 3, limit: 1, ("ann", 1), ("bob", 1));
        await Db.HashSetAsync(SaleKeys.Meta(sale), SaleKeys.AvailableField, 2);
        await Db.StreamTrimAsync(SaleKeys.Orders(sale), 1);

        var audit = await SaleAudit.ReadAsync(Db, sale);

        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "held + available == total"));
        Assert.Equal(AuditVerdict.Fail, Verdict(audit, "reservations == order entries"));
    }

    [Fact]
    public async Task Should_fail_with_one_line_when_the_sale_is_not_in_redis()
    {
        var audit = await SaleAudit.ReadAsync(Db, "no-such-sale-" + Guid.NewGuid().ToString("N")[..8]);

        var check = Assert.Single(audit.Checks);
        Assert.Equal(("sale exists", AuditVerdict.Fail), (check.Label, check.Verdict));
        Assert.Equal(SaleCounts.None, audit.Counts);
    }

    [Fact]
    public void Should_read_an_answer_line_with_or_without_its_buyer()
    {
        Assert.Equal(new ReservedAnswer("s-1"), ReservedAnswer.Parse("s-1"));
        Assert.Equal(new ReservedAnswer("s-2", "ann lee"), ReservedAnswer.Parse("ann lee\ts-2"));
    }

    private static AuditVerdict Verdict(SaleAudit audit, string label) => audit.Checks.Single(c => c.Label == label).Verdict;

    [Fact]
    public async Task Should_leave_answers_of_released_orders_out_of_held_and_fail_when_a_counter_disagrees_with_the_order_states()
    {
        var inventory = new RedisInventoryStore(redis.Connection);
        var orders = new RedisOrderStore(redis.Connection);
        var sale = "audit-" + Guid.NewGuid().ToString("N")[..10];
        await inventory.ConfigureSaleAsync(sale, new SaleSettings(3, 1, 300));
        var reserved = await inventory.ReserveAsync(sale, [new ReserveItem("r1", "ann", 1), new ReserveItem("r2", "bob", 1), new ReserveItem("r3", "cy", 1)]);
        var answers = reserved.Outcomes.Zip(["ann", "bob", "cy"], (o, user) => new ReservedAnswer(o.OrderId!, user)).ToArray();
        await orders.SettleAsync(answers[0].OrderId, OrderState.Paid);
        await orders.SettleAsync(answers[1].OrderId, OrderState.Cancelled);

        var settled = await SaleAudit.ReadAsync(Db, sale, answers);
        await Db.HashIncrementAsync(SaleKeys.Meta(sale), SaleKeys.PaidField);
        var miscounted = await SaleAudit.ReadAsync(Db, sale, answers);

        Assert.True(settled.Passed, settled.ToString());
        Assert.Equal((2, 1, 1, 0), (settled.Counts.Held, settled.Counts.Paid, settled.Counts.Cancelled, settled.Counts.Expired));
        Assert.Equal(AuditVerdict.Fail, Verdict(miscounted, "orders paid == paid counter"));
    }

    private static ReservedAnswer[] Answers(string sale, params (string User, int Seq)[] answers) =>
        [.. answers.Select(a => new ReservedAnswer($"{sale}-{a.Seq}", a.User))];

    /// <summary>A sale as the reserve script leaves it: one reservation, order entry and user count per ticket bought.</summary>
    private async Task<string> WriteSaleAsync(long total, int limit, params (string User, int Quantity)[] purchases)
    {
        var sale = "audit-" + Guid.NewGuid().ToString("N")[..10];
        var held = purchases.Sum(p => p.Quantity);
        await Db.HashSetAsync(SaleKeys.Meta(sale), [
            new(SaleKeys.TotalField, total), new(SaleKeys.HeldField, held), new(SaleKeys.AvailableField, total - held),
            new(SaleKeys.LimitField, limit), new(SaleKeys.WindowField, 300), new(SaleKeys.SeqField, purchases.Length)]);
        for (var i = 0; i < purchases.Length; i++)
        {
            var (user, quantity) = purchases[i];
            var orderId = $"{sale}-{i + 1}";
            await Db.HashSetAsync(SaleKeys.Reservations(sale), orderId, $"{user}\t{quantity}\t0\tr{i}");
            await Db.HashIncrementAsync(SaleKeys.Users(sale), user, quantity);
            await Db.StreamAddAsync(SaleKeys.Orders(sale), [new(SaleKeys.OrderIdField, orderId), new(SaleKeys.UserField, user)]);
        }
        return sale;
    }
}
