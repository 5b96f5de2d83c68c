using System.Diagnostics;
using System.Globalization;
using Spike.Actors.Inventory;
using Spike.Host.Redis;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisInventoryStoreSpecs
{
    private const long Now = 1_750_000_000_000;
    private const int Window = 900;

    private readonly RedisServerFixture _redis;
    private readonly RedisInventoryStore _store;

    public RedisInventoryStoreSpecs(RedisServerFixture redis)
    {
        _redis = redis;
        _store = new RedisInventoryStore(redis.Connection, new FixedTime(Now));
    }

    private IDatabase Db => _redis.Database;

    // ---- stock boundaries ----

    [Fact]
    public async Task Should_answer_sold_out_for_every_item_when_stock_is_zero()
    {
        var sale = await CreateSaleAsync(stock: 0);

        var result = await _store.ReserveAsync(sale, DistinctUsers(5));

        Assert.True(result.SaleKnown);
        Assert.Equal(0, result.Available);
        Assert.All(result.Outcomes, o => Assert.Equal(ItemOutcome.SoldOut, o));
        Assert.Equal(0, await Db.HashLengthAsync(SaleKeys.Users(sale)));
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_reserve_exactly_one_when_stock_is_one_and_200_items_arrive_in_one_batch()
    {
        var sale = await CreateSaleAsync(stock: 1);

        var result = await _store.ReserveAsync(sale, DistinctUsers(200));

        Assert.Equal(1, result.Outcomes.Count(o => o.Status == ReserveStatus.Reserved));
        Assert.Equal(ReserveStatus.Reserved, result.Outcomes[0].Status);
        Assert.All(result.Outcomes.Skip(1), o => Assert.Equal(ItemOutcome.SoldOut, o));
        Assert.Equal(0, result.Available);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_reserve_every_item_and_count_down_when_stock_exceeds_demand()
    {
        var sale = await CreateSaleAsync(stock: 10);

        var result = await _store.ReserveAsync(sale, DistinctUsers(4));

        Assert.Equal(6, result.Available);
        Assert.Equal(
            new[] { $"{sale}-1", $"{sale}-2", $"{sale}-3", $"{sale}-4" },
            result.Outcomes.Select(o => o.OrderId));
        Assert.All(result.Outcomes, o =>
        {
            Assert.Equal(ReserveStatus.Reserved, o.Status);
            Assert.Equal(Now + (Window * 1000L), o.PayByUnixMs);
        });
        await AssertConsistentAsync(sale, expectedHeld: 4);
    }

    [Fact]
    public async Task Should_reserve_exactly_the_stock_when_many_batches_run_concurrently()
    {
        const int stock = 100;
        var sale = await CreateSaleAsync(stock);

        var batches = Enumerable.Range(0, 32)
            .Select(b => Task.Run(() => _store.ReserveAsync(sale, DistinctUsers(50, $"b{b}-"))))
            .ToArray();
        var results = await Task.WhenAll(batches);

        var reserved = results.SelectMany(r => r.Outcomes).Where(o => o.Status == ReserveStatus.Reserved).ToList();
        Assert.Equal(stock, reserved.Count);
        Assert.Equal(stock, reserved.Select(o => o.OrderId).Distinct().Count());
        Assert.Equal(32 * 50 - stock, results.SelectMany(r => r.Outcomes).Count(o => o.Status == ReserveStatus.SoldOut));
        await AssertConsistentAsync(sale, expectedHeld: stock);
    }

    [Fact]
    public async Task Should_answer_not_enough_left_with_what_remains_when_fewer_tickets_are_left_than_asked()
    {
        var sale = await CreateSaleAsync(stock: 3, limit: 3);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "bob", 2), new ReserveItem("r1", "alice", 3)]);

        Assert.Equal(ReserveStatus.Reserved, result.Outcomes[0].Status);
        Assert.Equal(new ItemOutcome(ReserveStatus.NotEnoughLeft, Remaining: 1), result.Outcomes[1]);
        Assert.Equal(1, result.Available);
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_answer_sold_out_rather_than_not_enough_left_when_nothing_is_left()
    {
        var sale = await CreateSaleAsync(stock: 1, limit: 2);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "bob", 1), new ReserveItem("r1", "alice", 2)]);

        Assert.Equal(ItemOutcome.SoldOut, result.Outcomes[1]);
        Assert.Equal(InventoryScripts.SoldOutCode, (string?)await Db.HashGetAsync(SaleKeys.Refusals(sale), SaleKeys.RequestKey("alice", "r1")));
    }

    [Fact]
    public async Task Should_answer_a_retried_not_enough_left_with_what_is_left_after_the_retry()
    {
        var sale = await CreateSaleAsync(stock: 3, limit: 3);
        var alice = new ReserveItem("r1", "alice", 3);
        await _store.ReserveAsync(sale, [new ReserveItem("r1", "bob", 1), alice]);

        var whileTwoAreLeft = await _store.ReserveAsync(sale, [alice]);
        var afterTheRestSold = await _store.ReserveAsync(sale, [new ReserveItem("r1", "carol", 2), alice]);

        Assert.Equal(ItemOutcome.NotEnough(2), Assert.Single(whileTwoAreLeft.Outcomes));
        Assert.Equal(ItemOutcome.SoldOut, afterTheRestSold.Outcomes[1]);
        await AssertConsistentAsync(sale, expectedHeld: 3);
    }

    // ---- per-user limit ----

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Should_reserve_at_most_the_limit_without_burning_stock_when_one_user_sends_many_items_in_one_batch(int limit)
    {
        var sale = await CreateSaleAsync(stock: 10, limit: limit);
        var items = Enumerable.Range(0, 10).Select(i => new ReserveItem($"r{i}", "alice", 1)).ToList();

        var result = await _store.ReserveAsync(sale, items);

        Assert.Equal(limit, result.Outcomes.Count(o => o.Status == ReserveStatus.Reserved));
        Assert.All(result.Outcomes.Skip(limit), o => Assert.Equal(ItemOutcome.LimitReached, o));
        Assert.Equal(10 - limit, result.Available);
        Assert.Equal(limit, (long)await Db.HashGetAsync(SaleKeys.Users(sale), "alice"));
        await AssertConsistentAsync(sale, expectedHeld: limit);
    }

    [Fact]
    public async Task Should_refuse_with_limit_reached_when_the_user_already_holds_the_limit_from_an_earlier_call()
    {
        var sale = await CreateSaleAsync(stock: 10, limit: 1);
        await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r2", "alice", 1)]);

        Assert.Equal(ItemOutcome.LimitReached, Assert.Single(result.Outcomes));
        Assert.Equal(9, result.Available);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_refuse_with_limit_reached_when_one_item_asks_for_more_than_the_limit()
    {
        var sale = await CreateSaleAsync(stock: 10, limit: 2);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 3)]);

        Assert.Equal(ItemOutcome.LimitReached, Assert.Single(result.Outcomes));
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_refuse_with_limit_reached_rather_than_sold_out_when_the_stock_is_gone_too()
    {
        var sale = await CreateSaleAsync(stock: 0, limit: 1);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 2)]);

        Assert.Equal(ItemOutcome.LimitReached, Assert.Single(result.Outcomes));
    }

    [Fact]
    public async Task Should_reserve_when_the_users_count_field_is_present_with_zero()
    {
        var sale = await CreateSaleAsync(stock: 5, limit: 1);
        await Db.HashSetAsync(SaleKeys.Users(sale), "alice", 0);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);

        Assert.Equal(ReserveStatus.Reserved, Assert.Single(result.Outcomes).Status);
        Assert.Equal(1, (long)await Db.HashGetAsync(SaleKeys.Users(sale), "alice"));
    }

    // ---- idempotency ----

    [Fact]
    public async Task Should_return_the_first_outcome_and_deduct_once_when_a_request_id_repeats_within_a_batch()
    {
        var sale = await CreateSaleAsync(stock: 5, limit: 2);
        var item = new ReserveItem("r1", "alice", 1);

        var result = await _store.ReserveAsync(sale, [item, item, item]);

        Assert.Equal(ReserveStatus.Reserved, result.Outcomes[0].Status);
        Assert.All(result.Outcomes, o => Assert.Equal(result.Outcomes[0], o));
        Assert.Equal(4, result.Available);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_return_the_first_refusal_when_a_refused_request_id_repeats_within_a_batch()
    {
        var sale = await CreateSaleAsync(stock: 1, limit: 2);
        var refused = new ReserveItem("r1", "alice", 2);

        // decided afresh, the repeat would be "limit reached": alice holds one by then
        var result = await _store.ReserveAsync(sale, [refused, new ReserveItem("r2", "alice", 1), refused]);

        Assert.Equal(ItemOutcome.SoldOut, result.Outcomes[0]);
        Assert.Equal(result.Outcomes[0], result.Outcomes[2]);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_return_the_first_outcome_and_deduct_once_when_a_request_id_repeats_across_calls()
    {
        var sale = await CreateSaleAsync(stock: 5, limit: 2);
        var first = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);
        var later = new RedisInventoryStore(_redis.Connection, new FixedTime(Now + 60_000));

        var again = await later.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);

        Assert.Equal(first.Outcomes[0], again.Outcomes[0]);
        Assert.Equal(4, again.Available);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_keep_a_sold_out_first_outcome_when_the_request_is_retried_within_the_refusal_retention_after_stock_was_added()
    {
        var sale = await CreateSaleAsync(stock: 0);
        var first = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);
        await _store.AddStockAsync(sale, 1, operationId: null);

        var retry = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);
        var fresh = await _store.ReserveAsync(sale, [new ReserveItem("r2", "alice", 1)]);

        Assert.Equal(ItemOutcome.SoldOut, first.Outcomes[0]);
        Assert.Equal(ItemOutcome.SoldOut, retry.Outcomes[0]);
        Assert.Equal(ReserveStatus.Reserved, fresh.Outcomes[0].Status);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_treat_requests_as_different_when_different_users_use_the_same_request_id()
    {
        var sale = await CreateSaleAsync(stock: 5);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1), new ReserveItem("r1", "bob", 1)]);

        Assert.All(result.Outcomes, o => Assert.Equal(ReserveStatus.Reserved, o.Status));
        Assert.NotEqual(result.Outcomes[0].OrderId, result.Outcomes[1].OrderId);
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_resolve_an_unknown_outcome_with_one_reservation_when_a_timed_out_request_is_retried()
    {
        var sale = await CreateSaleAsync(stock: 5);
        var item = new ReserveItem("r1", "alice", 1);
        var sleep = Db.ExecuteAsync("DEBUG", "SLEEP", "4");

        var timedOut = await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.ReserveAsync(sale, [item]));
        await IgnoreFailureAsync(sleep);
        var retry = await PollAsync(() => _store.ReserveAsync(sale, [item]));

        Assert.IsType<RedisTimeoutException>(timedOut.InnerException);
        Assert.Equal(ReserveStatus.Reserved, retry.Outcomes[0].Status);
        Assert.Equal($"{sale}-1", retry.Outcomes[0].OrderId);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_answer_the_stored_quantity_when_a_reserved_request_is_retried_with_another_quantity()
    {
        var sale = await CreateSaleAsync(stock: 5, limit: 3);
        var first = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 2)]);

        var retry = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);

        Assert.Equal(ItemOutcome.Reserved($"{sale}-1", Now + (Window * 1000L), 2), first.Outcomes[0]);
        Assert.Equal(first.Outcomes[0], retry.Outcomes[0]);
        Assert.Equal(3, retry.Available);
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_keep_refusals_with_an_expiry_apart_from_reserved_answers_when_a_batch_refuses_some_items()
    {
        var sale = await CreateSaleAsync(stock: 2, limit: 2);

        await _store.ReserveAsync(sale,
        [
            new ReserveItem("r1", "alice", 1), // reserved
            new ReserveItem("r1", "bob", 2), // not enough left: 1 is
            new ReserveItem("r1", "carol", 1), // reserved
            new ReserveItem("r1", "dave", 1), // sold out
            new ReserveItem("r2", "alice", 2), // limit reached
        ]);

        var reserved = await Db.HashGetAllAsync(SaleKeys.Requests(sale));
        Assert.Equal(
            [SaleKeys.RequestKey("alice", "r1"), SaleKeys.RequestKey("carol", "r1")],
            reserved.Select(e => e.Name.ToString()).Order(StringComparer.Ordinal));
        Assert.All(reserved, e => Assert.StartsWith(InventoryScripts.ReservedPrefix, e.Value.ToString(), StringComparison.Ordinal));
        Assert.Null(await Db.KeyTimeToLiveAsync(SaleKeys.Requests(sale)));

        var refusals = (await Db.HashGetAllAsync(SaleKeys.Refusals(sale))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        Assert.Equal(
            new Dictionary<string, string>
            {
                [SaleKeys.RequestKey("bob", "r1")] = InventoryScripts.NotEnoughLeftCode,
                [SaleKeys.RequestKey("dave", "r1")] = InventoryScripts.SoldOutCode,
                [SaleKeys.RequestKey("alice", "r2")] = InventoryScripts.LimitReachedCode,
            },
            refusals);
        var ttl = await Db.KeyTimeToLiveAsync(SaleKeys.Refusals(sale));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, RedisInventoryStore.DefaultRefusalRetention - TimeSpan.FromMinutes(1), RedisInventoryStore.DefaultRefusalRetention);
    }

    [Fact]
    public async Task Should_set_the_refusals_expiry_once_per_call_and_only_when_the_call_writes_a_refusal()
    {
        var sale = await CreateSaleAsync(stock: 5);
        var refusedEarlier = new ReserveItem("r0", "zoe", 2);
        await _store.ReserveAsync(sale, [refusedEarlier]);
        await Db.KeyExpireAsync(SaleKeys.Refusals(sale), TimeSpan.FromMinutes(5));
        var expiresBefore = await CallsAsync("expire");

        await _store.ReserveAsync(sale, [refusedEarlier, .. DistinctUsers(2)]);
        var notRenewed = await Db.KeyTimeToLiveAsync(SaleKeys.Refusals(sale));
        var expiresWithoutRefusal = await CallsAsync("expire") - expiresBefore;
        await _store.ReserveAsync(sale, DistinctUsers(10, "late-"));
        var renewed = await Db.KeyTimeToLiveAsync(SaleKeys.Refusals(sale));
        var expiresWithRefusals = await CallsAsync("expire") - expiresBefore - expiresWithoutRefusal;

        Assert.Equal(0, expiresWithoutRefusal);
        Assert.InRange(notRenewed!.Value, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Assert.Equal(1, expiresWithRefusals);
        Assert.True(renewed > TimeSpan.FromMinutes(5), $"the expiry was not renewed: {renewed}");
        Assert.Equal(1 + 7, await Db.HashLengthAsync(SaleKeys.Refusals(sale)));
    }

    [Fact]
    public async Task Should_decide_afresh_and_reserve_once_when_a_refused_request_is_retried_after_its_refusal_expired()
    {
        var sale = await CreateSaleAsync(stock: 0);
        var forgetful = new RedisInventoryStore(_redis.Connection, new FixedTime(Now), refusalRetention: TimeSpan.FromSeconds(1));
        var item = new ReserveItem("r1", "alice", 1);
        var refused = await forgetful.ReserveAsync(sale, [item]);
        await _store.AddStockAsync(sale, 1, operationId: null);

        await Poll.UntilAsync(
            async () => !await Db.KeyExistsAsync(SaleKeys.Refusals(sale)), TimeSpan.FromSeconds(10), "the refusals did not expire");
        var retry = await forgetful.ReserveAsync(sale, [item]);
        var again = await forgetful.ReserveAsync(sale, [item]);

        Assert.Equal(ItemOutcome.SoldOut, refused.Outcomes[0]);
        Assert.Equal(ItemOutcome.Reserved($"{sale}-1", Now + (Window * 1000L), 1), retry.Outcomes[0]);
        Assert.Equal(retry.Outcomes[0], again.Outcomes[0]);
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    [Fact]
    public async Task Should_reserve_whatever_the_deadline_when_an_item_carries_one()
    {
        var sale = await CreateSaleAsync(stock: 5);

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1, DeadlineUnixMs: Now - 60_000)]);

        Assert.Equal(ReserveStatus.Reserved, Assert.Single(result.Outcomes).Status);
    }

    // ---- reservation sequence and reading reservations ----

    [Fact]
    public async Task Should_return_the_reservation_sequence_after_each_call_when_calls_reserve_and_refuse()
    {
        var sale = await CreateSaleAsync(stock: 5);

        var first = await _store.ReserveAsync(sale, DistinctUsers(3));
        var refusedOnly = await _store.ReserveAsync(sale, [new ReserveItem("r2", "u0", 1)]);
        var last = await _store.ReserveAsync(sale, DistinctUsers(4, "late-"));

        Assert.Equal([3, 3, 5], new[] { first.ReservationSeq, refusedOnly.ReservationSeq, last.ReservationSeq });
        Assert.Equal(5, (await _store.GetSaleAsync(sale))!.ReservationSeq);
    }

    [Fact]
    public async Task Should_return_every_reservation_with_its_answer_when_reading_the_reservations()
    {
        var sale = await CreateSaleAsync(stock: 4, limit: 3);
        ReserveItem[] items =
        [
            new("r1", "alice", 2), new("r1", "bob", 3), new("r1", "carol", 1), new("r2", "alice", 1), new("r1", "dave", 1),
        ];
        var result = await _store.ReserveAsync(sale, items);

        var reservations = await _store.GetReservationsAsync(sale);

        Assert.Equal(3, reservations.ReservationSeq);
        AssertSameReservations(ExpectedEntries(items, result), reservations.Entries);
        Assert.Equal(
            [(2, "alice"), (1, "carol"), (1, "alice")],
            reservations.Entries.OrderBy(e => e.Outcome.OrderId, StringComparer.Ordinal).Select(e => (e.Outcome.Quantity, e.UserId)));
    }

    [Fact]
    public async Task Should_return_all_5000_reservations_across_scan_pages_when_reading_a_large_sale()
    {
        const int stock = 5000;
        var sale = await CreateSaleAsync(stock);
        var expected = new List<ReservationEntry>();
        for (var b = 0; b < 10; b++)
        {
            var items = DistinctUsers(stock / 10, $"b{b}-");
            expected.AddRange(ExpectedEntries(items, await _store.ReserveAsync(sale, items)));
        }

        var reservations = await _store.GetReservationsAsync(sale);

        Assert.Equal(stock, reservations.ReservationSeq);
        Assert.Equal(stock, expected.Count);
        AssertSameReservations(expected, reservations.Entries);
    }

    [Fact]
    public async Task Should_return_each_reservation_once_and_all_up_to_the_sequence_when_reserving_goes_on_while_reading()
    {
        var sale = await CreateSaleAsync(stock: 10_000);
        for (var b = 0; b < 6; b++)
        {
            await _store.ReserveAsync(sale, DistinctUsers(500, $"before{b}-"));
        }

        var reserving = Task.Run(async () =>
        {
            for (var b = 0; b < 6; b++)
            {
                await _store.ReserveAsync(sale, DistinctUsers(500, $"during{b}-"));
            }
        });
        var reservations = await _store.GetReservationsAsync(sale);
        await reserving;

        var orderIds = reservations.Entries.Select(e => e.Outcome.OrderId).ToHashSet();
        Assert.Equal(reservations.Entries.Count, orderIds.Count);
        Assert.InRange(reservations.ReservationSeq, 3000, 6000);
        Assert.All(Enumerable.Range(1, (int)reservations.ReservationSeq), seq => Assert.Contains($"{sale}-{seq}", orderIds));
    }

    [Fact]
    public async Task Should_return_sequence_zero_and_no_entries_when_reading_the_reservations_of_a_missing_sale()
    {
        var reservations = await _store.GetReservationsAsync(NewSale());

        Assert.Equal(0, reservations.ReservationSeq);
        Assert.Empty(reservations.Entries);
    }

    // ---- unknown sale ----

    [Fact]
    public async Task Should_report_an_unknown_sale_and_create_nothing_when_the_meta_key_is_missing()
    {
        var sale = NewSale();

        var result = await _store.ReserveAsync(sale, DistinctUsers(3));

        Assert.False(result.SaleKnown);
        Assert.All(result.Outcomes, o => Assert.Equal(ItemOutcome.UnknownSale, o));
        foreach (var key in AllKeys(sale))
        {
            Assert.False(await Db.KeyExistsAsync(key), key);
        }
    }

    [Fact]
    public async Task Should_return_null_when_getting_a_missing_sale()
    {
        Assert.Null(await _store.GetSaleAsync(NewSale()));
    }

    // ---- scripts ----

    [Fact]
    public async Task Should_reserve_transparently_when_the_script_cache_was_flushed()
    {
        var sale = await CreateSaleAsync(stock: 5);
        await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);
        await _redis.Server.ScriptFlushAsync();
        Assert.False(await _redis.Server.ScriptExistsAsync(InventoryScripts.Reserve));

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r2", "bob", 1)]);

        Assert.Equal(ReserveStatus.Reserved, result.Outcomes[0].Status);
        Assert.True(await _redis.Server.ScriptExistsAsync(InventoryScripts.Reserve));
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_send_one_evalsha_per_batch_when_the_script_is_cached()
    {
        var sale = await CreateSaleAsync(stock: 100);
        await _store.ReserveAsync(sale, DistinctUsers(1, "warm-"));
        var evalBefore = await CallsAsync("eval");
        var evalshaBefore = await CallsAsync("evalsha");

        for (var i = 0; i < 5; i++)
        {
            await _store.ReserveAsync(sale, DistinctUsers(10, $"b{i}-"));
        }

        Assert.Equal(5, await CallsAsync("evalsha") - evalshaBefore);
        Assert.Equal(0, await CallsAsync("eval") - evalBefore);
    }

    // ---- reservation records and the order stream ----

    [Fact]
    public async Task Should_write_a_reservation_record_and_a_stream_entry_for_every_reserved_item()
    {
        var sale = await CreateSaleAsync(stock: 3);

        var result = await _store.ReserveAsync(sale, DistinctUsers(5));

        var reserved = result.Outcomes.Where(o => o.Status == ReserveStatus.Reserved).ToList();
        Assert.Equal(3, reserved.Count);
        var entries = await Db.StreamRangeAsync(SaleKeys.Orders(sale));
        Assert.Equal(3, entries.Length);
        for (var i = 0; i < reserved.Count; i++)
        {
            var orderId = reserved[i].OrderId!;
            var record = ReservationRecord.Parse((string)(await Db.HashGetAsync(SaleKeys.Reservations(sale), orderId))!);
            Assert.Equal(new ReservationRecord($"u{i}", 1, Now + (Window * 1000L), $"r-u{i}"), record);

            var entry = entries[i];
            Assert.Equal(orderId, (string?)entry[SaleKeys.OrderIdField]);
            Assert.Equal($"u{i}", (string?)entry[SaleKeys.UserField]);
            Assert.Equal(1, (long)entry[SaleKeys.QuantityField]);
            Assert.Equal(Now + (Window * 1000L), (long)entry[SaleKeys.PayByField]);
            Assert.Equal($"r-u{i}", (string?)entry[SaleKeys.RequestIdField]);
        }

        await AssertConsistentAsync(sale, expectedHeld: 3);
    }

    // ---- configure and add stock ----

    [Fact]
    public async Task Should_create_the_sale_when_configuring_a_missing_sale()
    {
        var sale = NewSale();

        var result = await _store.ConfigureSaleAsync(sale, new SaleSettings(7, 2, 60));

        var expected = new SaleSnapshot(sale, Total: 7, Held: 0, Available: 7, PerUserLimit: 2, PaymentWindowSeconds: 60);
        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.Created, expected), result);
        Assert.Equal(expected, await _store.GetSaleAsync(sale));
    }

    [Fact]
    public async Task Should_replace_settings_and_keep_what_is_held_when_configuring_an_existing_sale()
    {
        var sale = await CreateSaleAsync(stock: 5, limit: 2);
        var first = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1), new ReserveItem("r2", "bob", 1)]);

        var result = await _store.ConfigureSaleAsync(sale, new SaleSettings(10, 3, 60));
        var next = await _store.ReserveAsync(sale, [new ReserveItem("r3", "carol", 1), new ReserveItem("r1", "alice", 1)]);

        var expected = new SaleSnapshot(sale, Total: 10, Held: 2, Available: 8, PerUserLimit: 3, PaymentWindowSeconds: 60, ReservationSeq: 2);
        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.Updated, expected), result);
        Assert.Equal(ItemOutcome.Reserved($"{sale}-3", Now + 60_000, 1), next.Outcomes[0]);
        Assert.Equal(first.Outcomes[0], next.Outcomes[1]);
        await AssertConsistentAsync(sale, expectedHeld: 3);
    }

    [Fact]
    public async Task Should_count_every_reserve_call_of_the_sale_whatever_its_outcomes()
    {
        var sale = await CreateSaleAsync(stock: 1, limit: 1);

        await _store.ReserveAsync(sale, DistinctUsers(3));
        await _store.ReserveAsync(sale, DistinctUsers(2)); // sold out: refused, still a call

        Assert.Equal(2, (await _store.GetSaleAsync(sale))!.ReserveCalls);
    }

    [Fact]
    public async Task Should_refuse_with_conflict_and_change_nothing_when_the_new_total_is_below_held()
    {
        var sale = await CreateSaleAsync(stock: 3, limit: 1);
        await _store.ReserveAsync(sale, DistinctUsers(3));

        var result = await _store.ConfigureSaleAsync(sale, new SaleSettings(2, 5, 60));

        var unchanged = new SaleSnapshot(sale, Total: 3, Held: 3, Available: 0, PerUserLimit: 1, PaymentWindowSeconds: Window, ReservationSeq: 3);
        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.Conflict, unchanged), result);
        Assert.Equal(unchanged with { ReserveCalls = 1 }, await _store.GetSaleAsync(sale));
    }

    [Fact]
    public async Task Should_update_to_zero_available_when_the_new_total_equals_held()
    {
        var sale = await CreateSaleAsync(stock: 5);
        await _store.ReserveAsync(sale, DistinctUsers(3));

        var result = await _store.ConfigureSaleAsync(sale, new SaleSettings(3, 1, Window));

        Assert.Equal(SaleCommandStatus.Updated, result.Status);
        Assert.Equal(new SaleSnapshot(sale, 3, 3, 0, 1, Window, ReservationSeq: 3), result.Sale);
        await AssertConsistentAsync(sale, expectedHeld: 3);
    }

    [Fact]
    public async Task Should_answer_unknown_sale_and_create_nothing_when_adding_stock_to_a_missing_sale()
    {
        var sale = NewSale();

        var result = await _store.AddStockAsync(sale, 5, operationId: null);

        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.UnknownSale, null), result);
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    [Fact]
    public async Task Should_add_to_total_and_available_when_adding_stock_to_an_existing_sale()
    {
        var sale = await CreateSaleAsync(stock: 1);
        await _store.ReserveAsync(sale, DistinctUsers(2));

        var result = await _store.AddStockAsync(sale, 2, operationId: null);
        var after = await _store.ReserveAsync(sale, DistinctUsers(1, "late-"));

        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.Updated, new SaleSnapshot(sale, 3, 1, 2, 1, Window, ReservationSeq: 1)), result);
        Assert.Equal(ReserveStatus.Reserved, after.Outcomes[0].Status);
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_add_once_when_stock_is_added_again_with_the_same_operation_id()
    {
        var sale = await CreateSaleAsync(stock: 1);

        var first = await _store.AddStockAsync(sale, 5, "op-1");
        var repeat = await _store.AddStockAsync(sale, 5, "op-1");
        var other = await _store.AddStockAsync(sale, 5, "op-2");

        Assert.Equal(new SaleCommandResult(sale, SaleCommandStatus.Updated, new SaleSnapshot(sale, 6, 0, 6, 1, Window)), first);
        Assert.Equal(first, repeat);
        Assert.Equal(11, other.Sale!.Total);
        Assert.Equal(2, await Db.HashLengthAsync(SaleKeys.Operations(sale)));
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_add_once_when_an_addition_that_timed_out_is_retried_with_its_operation_id()
    {
        var sale = await CreateSaleAsync(stock: 1);
        var sleep = Db.ExecuteAsync("DEBUG", "SLEEP", "3");

        var timedOut = await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.AddStockAsync(sale, 5, "op-1"));
        await IgnoreFailureAsync(sleep);
        var retry = await PollAsync(() => _store.AddStockAsync(sale, 5, "op-1"));

        Assert.IsType<RedisTimeoutException>(timedOut.InnerException);
        Assert.Equal((SaleCommandStatus.Updated, 6L), (retry.Status, retry.Sale!.Total));
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_answer_conflict_and_add_nothing_when_the_total_would_exceed_the_maximum()
    {
        var sale = await CreateSaleAsync(stock: SaleLimits.MaxTotal - 5);

        var above = await _store.AddStockAsync(sale, 6, "op-above");
        var repeat = await _store.AddStockAsync(sale, 6, "op-above");
        var upToTheMaximum = await _store.AddStockAsync(sale, 5, operationId: null);

        Assert.Equal((SaleCommandStatus.Conflict, SaleLimits.MaxTotal - 5), (above.Status, above.Sale!.Total));
        Assert.Equal(SaleCommandStatus.Conflict, repeat.Status);
        Assert.Equal(new SaleSnapshot(sale, SaleLimits.MaxTotal, 0, SaleLimits.MaxTotal, 1, Window), upToTheMaximum.Sale);
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_throw_out_of_range_before_calling_redis_when_stock_or_an_addition_exceeds_the_maximum()
    {
        var sale = NewSale();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.ConfigureSaleAsync(sale, new SaleSettings(SaleLimits.MaxTotal + 1, 1, Window)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.AddStockAsync(sale, SaleLimits.MaxTotal + 1, operationId: null));

        Assert.False(await Db.KeyExistsAsync(SaleKeys.Meta(sale)));
    }

    [Fact]
    public async Task Should_reject_a_non_positive_quantity_before_calling_redis()
    {
        var sale = await CreateSaleAsync(stock: 5);

        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 0)]));

        await AssertConsistentAsync(sale, expectedHeld: 0);
        Assert.Equal(0, await Db.HashLengthAsync(SaleKeys.Requests(sale)));
        Assert.Equal(0, await Db.HashLengthAsync(SaleKeys.Refusals(sale)));
    }

    // ---- Redis down ----

    [Fact]
    public async Task Should_throw_unavailable_quickly_when_redis_is_stopped_and_work_again_after_it_restarts()
    {
        var sale = await CreateSaleAsync(stock: 5);
        await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);
        var elapsed = Stopwatch.StartNew();

        try
        {
            await _redis.StopAsync();
            elapsed.Restart();
            await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.ReserveAsync(sale, [new ReserveItem("r2", "bob", 1)]));
            await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.GetSaleAsync(sale));
            await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.GetReservationsAsync(sale));
            await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.AddStockAsync(sale, 1, operationId: null));
            await Assert.ThrowsAsync<InventoryUnavailableException>(() => _store.ConfigureSaleAsync(sale, new SaleSettings(9, 1, Window)));
            elapsed.Stop();
        }
        finally
        {
            await _redis.StartAsync();
        }

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r2", "bob", 1)]);

        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(5), $"failing took {elapsed.Elapsed}");
        Assert.Equal(ItemOutcome.Reserved($"{sale}-2", Now + (Window * 1000L), 1), result.Outcomes[0]);
        await AssertConsistentAsync(sale, expectedHeld: 2);
    }

    [Fact]
    public async Task Should_report_an_unknown_sale_when_redis_lost_its_data_in_a_crash()
    {
        var sale = await CreateSaleAsync(stock: 5);

        try
        {
            await _redis.StopAsync(keepData: false);
        }
        finally
        {
            await _redis.StartAsync();
        }

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r1", "alice", 1)]);

        Assert.False(result.SaleKnown);
        Assert.Equal(ItemOutcome.UnknownSale, result.Outcomes[0]);
    }

    // ---- helpers ----

    private static string NewSale() => "t" + Guid.NewGuid().ToString("N")[..12];

    // ---- the schedule, by Redis's clock ----

    [Fact]
    public async Task Should_keep_the_schedule_with_the_sale_and_drop_it_when_the_sale_is_configured_without_one()
    {
        var sale = NewSale();
        var schedule = new SaleSchedule(1_900_000_000_000, 1_900_000_060_000);

        var created = await _store.ConfigureSaleAsync(sale, new SaleSettings(5, 1, Window, schedule));
        var read = await _store.GetSaleAsync(sale);
        var cleared = await _store.ConfigureSaleAsync(sale, new SaleSettings(5, 1, Window));

        Assert.Equal((schedule, schedule), (created.Sale!.Schedule, read!.Schedule));
        Assert.Equal(default, cleared.Sale!.Schedule);
        Assert.Equal(default, (await _store.GetSaleAsync(sale))!.Schedule);
    }

    [Fact]
    public async Task Should_refuse_new_requests_not_open_and_write_nothing_when_the_redis_clock_is_before_the_opening()
    {
        // The node's clock (the store's) is a day ahead of the opening; Redis's says the sale has not opened.
        var opensAt = await RedisNowAsync() + 600_000;
        var nodeAhead = new RedisInventoryStore(_redis.Connection, new ShiftedClock(TimeSpan.FromDays(1)));
        var sale = NewSale();
        await nodeAhead.ConfigureSaleAsync(sale, new SaleSettings(10, 1, Window, new SaleSchedule(opensAt, null)));

        var result = await nodeAhead.ReserveAsync(sale, DistinctUsers(3));

        Assert.All(result.Outcomes, o => Assert.Equal(ItemOutcome.NotOpen(opensAt), o));
        Assert.Equal((10L, 0L), (result.Available, result.ReservationSeq));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Users(sale)));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Refusals(sale)));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Requests(sale)));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Orders(sale)));
        await AssertConsistentAsync(sale, expectedHeld: 0);
    }

    [Fact]
    public async Task Should_reserve_from_the_opening_on_and_never_before_it_by_the_redis_clock()
    {
        var opensAt = await RedisNowAsync() + 300;
        var sale = NewSale();
        await _store.ConfigureSaleAsync(sale, new SaleSettings(1_000, 1, Window, new SaleSchedule(opensAt, null)));
        var notOpen = 0;

        var reserved = await Poll.UntilResultAsync<int>(async () =>
        {
            var outcome = (await _store.ReserveAsync(sale, [new ReserveItem("r-same", "same", 1)])).Outcomes[0];
            notOpen += outcome.Status == ReserveStatus.NotOpen ? 1 : 0;
            return outcome.Status == ReserveStatus.Reserved ? notOpen : null;
        }, TimeSpan.FromSeconds(10), "the sale never opened");

        Assert.True(reserved > 0, "no request was refused before the opening");
        var entry = Assert.Single(await Db.StreamRangeAsync(SaleKeys.Orders(sale)));
        Assert.True(EntryUnixMs(entry) >= opensAt, $"reserved at {EntryUnixMs(entry)}, before the opening at {opensAt}");
    }

    [Fact]
    public async Task Should_answer_closed_to_a_new_request_and_its_reservation_to_a_retry_after_the_closing()
    {
        var sale = await CreateSaleAsync(stock: 10);
        var first = (await _store.ReserveAsync(sale, [new ReserveItem("r-a", "a", 1)])).Outcomes[0];
        await _store.ConfigureSaleAsync(sale, new SaleSettings(10, 1, Window, new SaleSchedule(null, await RedisNowAsync() - 1)));

        var result = await _store.ReserveAsync(sale, [new ReserveItem("r-a", "a", 1), new ReserveItem("r-b", "b", 1)]);

        Assert.Equal([first, ItemOutcome.Closed], result.Outcomes);
        Assert.False(await Db.HashExistsAsync(SaleKeys.Users(sale), "b"));
        Assert.False(await Db.KeyExistsAsync(SaleKeys.Refusals(sale)));
        await AssertConsistentAsync(sale, expectedHeld: 1);
    }

    private async Task<long> RedisNowAsync() => new DateTimeOffset(await _redis.Server.TimeAsync(), TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>When Redis added a stream entry, by its clock: the entry id is <c>&lt;unix ms&gt;-&lt;n&gt;</c>.</summary>
    private static long EntryUnixMs(StreamEntry entry) => long.Parse(entry.Id.ToString().Split('-')[0], CultureInfo.InvariantCulture);

    private async Task<string> CreateSaleAsync(long stock, int limit = 1)
    {
        var sale = NewSale();
        var created = await _store.ConfigureSaleAsync(sale, new SaleSettings(stock, limit, Window));
        Assert.Equal(SaleCommandStatus.Created, created.Status);
        return sale;
    }

    private static List<ReserveItem> DistinctUsers(int count, string prefix = "u") =>
        Enumerable.Range(0, count).Select(i => new ReserveItem($"r-{prefix}{i}", $"{prefix}{i}", 1)).ToList();

    private static RedisKey[] AllKeys(string sale) =>
    [
        SaleKeys.Meta(sale), SaleKeys.Requests(sale), SaleKeys.Refusals(sale), SaleKeys.Users(sale), SaleKeys.Reservations(sale),
        SaleKeys.Orders(sale), SaleKeys.Operations(sale),
    ];

    /// <summary>held + available == total, and held == Σ users == Σ reservation quantities == stream entries.</summary>
    private async Task AssertConsistentAsync(string sale, long expectedHeld)
    {
        var audit = await SaleAudit.ReadAsync(Db, sale);
        Assert.Equal(expectedHeld, audit.Counts.Held);
        audit.AssertConsistent();
    }

    /// <summary>How often the server has run <paramref name="command"/>, scripts' calls included (INFO commandstats).</summary>
    private async Task<long> CallsAsync(string command)
    {
        var info = await _redis.Server.InfoAsync("commandstats");
        var stat = info.SelectMany(g => g).FirstOrDefault(kv => kv.Key == "cmdstat_" + command);
        return stat.Value is null ? 0 : long.Parse(stat.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>What reading the reservations should give for a batch: an entry for each reserved item.</summary>
    private static IEnumerable<ReservationEntry> ExpectedEntries(IReadOnlyList<ReserveItem> items, ReserveBatchResult result) =>
        items.Zip(result.Outcomes)
            .Where(p => p.Second.Status == ReserveStatus.Reserved)
            .Select(p => new ReservationEntry(p.First.UserId, p.First.RequestId, p.Second));

    /// <summary>The same entries in any order (the scan's order is the hash's).</summary>
    private static void AssertSameReservations(IEnumerable<ReservationEntry> expected, IEnumerable<ReservationEntry> actual) =>
        Assert.Equal(
            expected.OrderBy(e => e.Outcome.OrderId, StringComparer.Ordinal),
            actual.OrderBy(e => e.Outcome.OrderId, StringComparer.Ordinal));

    /// <summary>Retries while the store is unavailable, up to a deadline.</summary>
    private static async Task<T> PollAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (InventoryUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task IgnoreFailureAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // the sleeping call itself may time out; only its effect (a slow Redis) matters
        }
    }

    private sealed class FixedTime(long unixMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}
