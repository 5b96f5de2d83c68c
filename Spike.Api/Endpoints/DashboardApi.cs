using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Spike.Actors;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Hosting;
using Spike.Host.Redis;

namespace Spike.Api.Endpoints;

/// <summary>
/// The live sale dashboard: a static page (embedded in this assembly, nothing from elsewhere) and its server-sent
/// events, one per second. Public and read-only, so nginx serves it on its public port: it needs no token and shows
/// none.
/// </summary>
public static class DashboardApi
{
    /// <summary>Also the stream's keep-alive: far below nginx's proxy_read_timeout (10 s), so a quiet sale never cuts it.</summary>
    private static readonly TimeSpan EventInterval = TimeSpan.FromSeconds(1);
    /// <summary>Sales the dashboard shows at most, in id order; each costs two Redis reads a second per open page.</summary>
    private const int MaxShownSales = 20;

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        var page = StaticFile("dashboard.html", "text/html; charset=utf-8");
        var script = StaticFile("dashboard.js", "text/javascript; charset=utf-8");
        var style = StaticFile("dashboard.css", "text/css; charset=utf-8");
        app.MapGet("/dashboard", (HttpContext context) => page(context));
        app.MapGet("/dashboard/dashboard.js", (HttpContext context) => script(context));
        app.MapGet("/dashboard/dashboard.css", (HttpContext context) => style(context));
        var sales = new SharedSalesRead();
        app.MapGet("/dashboard/events", (HttpContext context, ActorSystem system, SaleCatalog catalog, IInventoryStore store, IOrderStream orders, ClusterBuyRates rates, TimeProvider clock) =>
            StreamEventsAsync(context, system, () => ReadSalesAsync(catalog, store, orders, clock), sales, rates, clock));
        return app;
    }

    private static Func<HttpContext, IResult> StaticFile(string name, string contentType)
    {
        using var resource = typeof(DashboardApi).Assembly.GetManifestResourceStream("dashboard/" + name)
            ?? throw new InvalidOperationException($"the dashboard's {name} is not embedded in {typeof(DashboardApi).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        var bytes = copy.ToArray();
        return context =>
        {
            // Everything the page loads comes from this node: the policy makes a CDN or inline script fail loudly.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'";
            context.Response.Headers.CacheControl = "no-cache";
            return TypedResults.Bytes(bytes, contentType);
        };
    }

    private static async Task StreamEventsAsync(
        HttpContext context, ActorSystem system, Func<Task<SalesRead>> readSales, SharedSalesRead sales, ClusterBuyRates rates, TimeProvider clock)
    {
        var cancellationToken = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // nginx buffers proxied answers (proxy_buffering on): this one must reach the browser event by event.
        response.Headers["X-Accel-Buffering"] = "no";
        var cluster = Cluster.Get(system);
        using var timer = new PeriodicTimer(EventInterval, clock);
        try
        {
            // A restarted node is back in the page within a second of the browser's reconnect.
            await response.WriteAsync("retry: 1000\n\n", cancellationToken);
            do
            {
                var read = await sales.GetAsync(readSales, clock.GetUtcNow()).WaitAsync(cancellationToken);
                // one view of the membership for both the members and the rows of rates
                var state = cluster.State;
                var update = new DashboardEvent(clock.GetUtcNow(), cluster.SelfAddress.ToString(), read.Sales, read.More, read.Error, Members(state), Rates(rates, state));
                await response.WriteAsync("data: " + JsonSerializer.Serialize(update, ApiJsonContext.Default.DashboardEvent) + "\n\n", cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the page was closed
        }
    }

    private sealed record SalesRead(IReadOnlyList<SaleResponse> Sales, bool More, string? Error);

    /// <summary>
    /// The sales as the node's event streams show them, shared by every open page: a read younger than half the event
    /// interval is reused, so Redis is read at most twice a second however many pages are open, and a lone page, whose
    /// ticks jitter around the interval, still gets a fresh read each time. The read is not cancelled with the page
    /// that started it (others await it; Redis's own timeouts bound it).
    /// </summary>
    private sealed class SharedSalesRead
    {
        private static readonly TimeSpan MaxAge = EventInterval / 2;

        private readonly Lock _gate = new();
        private Task<SalesRead>? _last;
        private DateTimeOffset _readAt;

        public Task<SalesRead> GetAsync(Func<Task<SalesRead>> read, DateTimeOffset now)
        {
            lock (_gate)
            {
                if (_last is null || now - _readAt >= MaxAge)
                {
                    _last = read();
                    _readAt = now;
                }
                return _last;
            }
        }
    }

    private static async Task<SalesRead> ReadSalesAsync(SaleCatalog catalog, IInventoryStore store, IOrderStream orders, TimeProvider clock)
    {
        try
        {
            var ids = await catalog.ListSaleIdsAsync(MaxShownSales + 1, CancellationToken.None);
            var sales = await Task.WhenAll(ids.Take(MaxShownSales).Select(id => SaleReads.ReadWithProgressAsync(id, store, orders, clock, CancellationToken.None)));
            // a sale deleted between the listing and its read is simply not shown
            return new SalesRead([.. sales.OfType<SaleResponse>()], ids.Count > MaxShownSales, null);
        }
        catch (InventoryUnavailableException)
        {
            return new SalesRead([], false, "Redis did not answer: the sales are not shown");
        }
    }

    private static MemberResponse[] Members(ClusterEvent.CurrentClusterState state) =>
    [
        .. state.Members.Select(member => new MemberResponse(
            member.Address.ToString(), [.. member.Roles.Order(StringComparer.Ordinal)],
            JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Status.ToString()), !state.Unreachable.Contains(member))),
    ];

    private static NodeRatesResponse[] Rates(ClusterBuyRates rates, ClusterEvent.CurrentClusterState state) =>
    [
        .. rates.Current(ApiMembers(state)).Select(node => new NodeRatesResponse(
            node.Node, DateTimeOffset.FromUnixTimeMilliseconds(node.AtUnixMs),
            node.Outcomes.ToDictionary(outcome => SpikeMetrics.StatusName(outcome.Status), outcome => outcome.PerSecond), node.P99Ms)),
    ];

    private static IEnumerable<string> ApiMembers(ClusterEvent.CurrentClusterState state) =>
        state.Members.Where(member => member.HasRole(NodeOptions.ApiRole)).Select(member => member.Address.ToString());
}
