namespace Spike.Actors.Orders;

/// <param name="BatchSize">Stream entries read, and due orders expired, per sale and round.</param>
/// <param name="PollInterval">Pause between rounds that found no more work.</param>
/// <param name="QuietPollInterval">
/// The longest pause between visits of a sale that has had nothing to do (<see cref="FeedSchedule"/>): how late the
/// first order of a quiet sale that sells again is created, or an order expires after its deadline, at most.
/// </param>
/// <param name="RetryAfter">Pause after a round the store failed.</param>
/// <param name="ListSalesEvery">How often the sales are listed again (a SCAN of the store's keys): a new sale's orders wait at most this long.</param>
/// <param name="OrderTimeout">How long an order may take to answer its creation or expiry before the next round tries again.</param>
/// <param name="ReconcileEvery">How often every sale is reconciled (its records compared, safe repairs made, differences logged).</param>
/// <param name="SellingWindow">
/// A sale whose newest reservation is younger than this is selling: while any sale sells, the feed creates one batch
/// of orders per poll interval over all sales (at most BatchSize / PollInterval a second, the sales taking turns),
/// leaving the CPU to the buyers, and the rest after.
/// </param>
/// <param name="LagEvery">
/// How often the feed measures each sale's lag (<see cref="OrderProgress.Lag"/>, two Redis reads a sale) for the
/// <see cref="SpikeMetrics.OrdersFeedLagName"/> gauge; null: never (metrics are off).
/// </param>
public sealed record OrderFeedSettings(
    int BatchSize, TimeSpan PollInterval, TimeSpan QuietPollInterval, TimeSpan RetryAfter, TimeSpan ListSalesEvery, TimeSpan OrderTimeout, TimeSpan ReconcileEvery,
    TimeSpan SellingWindow, TimeSpan? LagEvery)
{
    public static readonly OrderFeedSettings Default = new(
        BatchSize: 256,
        PollInterval: TimeSpan.FromMilliseconds(500),
        QuietPollInterval: TimeSpan.FromSeconds(5),
        RetryAfter: TimeSpan.FromSeconds(1),
        ListSalesEvery: TimeSpan.FromSeconds(5),
        OrderTimeout: TimeSpan.FromSeconds(5),
        ReconcileEvery: TimeSpan.FromMinutes(5),
        SellingWindow: TimeSpan.FromSeconds(1),
        LagEvery: TimeSpan.FromSeconds(5));
}
