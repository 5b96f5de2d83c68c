using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Actors.Stock;
using Spike.Commands;
using Spike.Host.Redis;

namespace Spike.Host.Hosting;

/// <summary>Everything a Spike node is told from configuration (section "Spike", env <c>Spike__…</c>).</summary>
public sealed class SpikeOptions
{
    public const string Section = "Spike";

    /// <summary>StackExchange.Redis configuration string of the authority.</summary>
    public string Redis { get; set; } = "127.0.0.1:6379";

    /// <summary>Bearer token of the admin API; required outside Development.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Sale used by buy requests that name none.</summary>
    public string? DefaultSale { get; set; }

    public NodeOptions Node { get; set; } = new();

    public BuyOptions Buy { get; set; } = new();

    public CommandHostOptions CommandHost { get; set; } = new();

    public OrderOptions Orders { get; set; } = new();

    public BuyerOptions Buyers { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();

    public TracingOptions Tracing { get; set; } = new();
}

public sealed class MetricsOptions
{
    /// <summary>The OpenTelemetry metrics pipeline and the Prometheus endpoint <c>/metrics</c>; off, neither exists.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often the gauges that need a question answered are refreshed: the order feed's lag (Redis) and the shards a
    /// node hosts (its shard regions). The gauges report the last answer; they never wait for one.
    /// </summary>
    public TimeSpan RefreshEvery { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Distributed traces of the buy path, exported over OTLP. Off, there is no tracer provider and no listener: neither
/// ASP.NET Core nor Spike starts an Activity.
/// </summary>
public sealed class TracingOptions
{
    public bool Enabled { get; set; }

    /// <summary>
    /// Share of requests traced (0 to 1), decided per request that comes without a trace context; one that comes with
    /// one follows its caller's decision (parent-based).
    /// </summary>
    public double SampleRatio { get; set; } = 0.01;

    /// <summary>The OTLP collector's address; unset, the exporter's own configuration (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, else <c>http://localhost:4317</c>).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Settings a node cannot start with, said in one sentence; null when they are fine.</summary>
    public string? Check() =>
        !Enabled ? null
        : SampleRatio is not (>= 0 and <= 1) ? $"Spike:Tracing:SampleRatio must be between 0 and 1, not {SampleRatio}."
        : OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _) ? $"Spike:Tracing:OtlpEndpoint must be an absolute URI, not '{OtlpEndpoint}'."
        : null;
}

/// <summary>
/// Who vouches for a buyer's <c>user</c>. By default nobody: the site in front of Spike authenticates its users and
/// Spike trusts the <c>user</c> it is given. With <see cref="RequireToken"/>, every buy carries a token the site signed
/// for that user (HMAC-SHA256 with <see cref="TokenKey"/>), so nobody can buy as, or dodge the per-user limit by naming,
/// another user.
/// </summary>
public sealed class BuyerOptions
{
    /// <summary>The key buyer tokens are signed with, shared with the site that signs them: at least 32 characters.</summary>
    public string? TokenKey { get; set; }

    /// <summary>Refuse a buy without a valid token for its user (401 <c>invalid_buyer_token</c>).</summary>
    public bool RequireToken { get; set; }
}

public sealed class NodeOptions
{
    public const string ApiRole = NodeRoles.Api;
    public const string InventoryRole = NodeRoles.Inventory;

    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>Akka remoting port; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 4053;

    /// <summary>The node's roles; none configured means both (a single node). Configuration binding appends to
    /// a non-empty default array, hence <see cref="EffectiveRoles"/>.</summary>
    public string[] Roles { get; set; } = [];

    public string[] EffectiveRoles => Roles.Length == 0 ? [ApiRole, InventoryRole] : Roles;

    /// <summary>Identical on every node; empty means "join myself" (a single node).</summary>
    public string[] SeedNodes { get; set; } = [];

    /// <summary>Shards of the inventory region: about ten per inventory node. Never change it in a cluster's life.</summary>
    public int InventoryShards { get; set; } = 30;
}

/// <summary>Tuning of the buy path; defaults are <see cref="StockSettings.Default"/> and <see cref="InventorySettings.Default"/>.</summary>
public sealed class BuyOptions
{
    public int LeaseChunk { get; set; } = StockSettings.Default.LeaseChunk;

    public int MaxBatchSize { get; set; } = StockSettings.Default.MaxBatchSize;

    public int MaxWaiting { get; set; } = StockSettings.Default.MaxWaiting;

    public int MaxBatchesInFlight { get; set; } = StockSettings.Default.MaxBatchesInFlight;

    public int MaxCallsInFlight { get; set; } = InventorySettings.Default.MaxCallsInFlight;

    public int MinItemsToPipeline { get; set; } = InventorySettings.Default.MinItemsToPipeline;

    public int MaxItemsPerCall { get; set; } = InventorySettings.Default.MaxItemsPerCall;

    public TimeSpan LeaseIdleTimeout { get; set; } = InventorySettings.Default.LeaseIdleTimeout;

    /// <summary>
    /// A batch the sale's InventoryActor has not answered after this is run against Redis by the node itself,
    /// which sells directly until the InventoryActor answers again (its node may have died).
    /// </summary>
    public TimeSpan FallbackAfter { get; set; } = StockSettings.Default.FallbackAfter;

    /// <summary>The longest an HTTP buyer waits before getting "unavailable, retry with the same request id".</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A refused request (sold out, limit reached, not enough left) keeps its answer for a retry with the
    /// same requestId at least this long after the sale's last refusal; a reserved one as long as the sale exists.
    /// </summary>
    public TimeSpan RefusalRetention { get; set; } = RedisInventoryStore.DefaultRefusalRetention;

    public StockSettings ToStockSettings() => StockSettings.Default with
    {
        LeaseChunk = LeaseChunk,
        MaxBatchSize = MaxBatchSize,
        MaxWaiting = MaxWaiting,
        MaxBatchesInFlight = MaxBatchesInFlight,
        MaxWait = RequestTimeout,
        FallbackAfter = FallbackAfter,
    };

    public InventorySettings ToInventorySettings() => InventorySettings.Default with
    {
        MaxItemsPerCall = MaxItemsPerCall,
        MaxCallsInFlight = MaxCallsInFlight,
        MinItemsToPipeline = MinItemsToPipeline,
        LeaseIdleTimeout = LeaseIdleTimeout,
    };
}

/// <summary>The order feed: the cluster's one consumer of the sales' order streams.</summary>
public sealed class OrderOptions
{
    /// <summary>Pause between the feed's rounds when it is caught up: how late an order is created at most, when nothing is queued.</summary>
    public TimeSpan FeedPollInterval { get; set; } = OrderFeedSettings.Default.PollInterval;

    /// <summary>The longest pause between the feed's visits of a sale that has had nothing to do.</summary>
    public TimeSpan FeedQuietPollInterval { get; set; } = OrderFeedSettings.Default.QuietPollInterval;

    /// <summary>How often the feed lists the sales again: a new sale's first orders wait at most this long.</summary>
    public TimeSpan ListSalesEvery { get; set; } = OrderFeedSettings.Default.ListSalesEvery;

    public OrderFeedSettings ToFeedSettings() => OrderFeedSettings.Default with
    {
        PollInterval = FeedPollInterval,
        QuietPollInterval = FeedQuietPollInterval,
        ListSalesEvery = ListSalesEvery,
    };
}

/// <summary>
/// The node's command host (cluster inspection for <c>spike cli</c>). It opens only with a token: a node has no
/// default one, so it is off until the operator sets <c>Spike__CommandHost__Token</c>.
/// </summary>
public sealed class CommandHostOptions
{
    /// <summary>The address to listen on; loopback, so only this machine's operators reach it.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>9110 by default, as Petabridge.Cmd; launchers give node i port 9110 + i. 0 turns the host off.</summary>
    public int Port { get; set; } = NodeEndpoint.BasePort;

    /// <summary>What a client must present. Never logged.</summary>
    public string? Token { get; set; }
}
