using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Spike.Actors;
using Spike.Actors.Dashboard;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Actors.Sharding;
using Spike.Actors.Stock;
using Spike.Host.Commands;
using Spike.Host.Redis;
using Spike.Host.Serialization;
using Spike.Persistence.Redis.Hosting;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Host.Hosting;

public static class SpikeNodeExtensions
{
    public const string SystemName = "spike";
    public const string InventoryTypeName = "inventory";
    public const string OrderTypeName = "order";
    public const string OrderFeedName = "order-feed";
    public const string LivenessTag = "live";
    public const string ReadinessTag = "ready";

    /// <summary>
    /// Every node's logging defaults, API and inventory nodes alike, beneath every other configuration source
    /// (appsettings, environment, command line), which may override each.
    /// </summary>
    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        // Request start/finish lines only. While this category is enabled at any level, ASP.NET Core creates an
        // Activity and a log scope for every request (about half of what a sold-out answer allocates).
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Warning",
    };

    /// <summary>
    /// Everything a Spike node runs, whatever its roles: Redis, the actor system joined to the cluster,
    /// the inventory and order shard regions (or proxies), the order journal on Redis, the node's StockActors,
    /// serialization, health checks and the command host.
    /// </summary>
    public static TBuilder AddSpikeNode<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults });
        var section = builder.Configuration.GetSection(SpikeOptions.Section);
        var options = section.Get<SpikeOptions>() ?? new SpikeOptions();
        builder.Services.Configure<SpikeOptions>(section);
        // The slim builder's console logger knows only the simple format and sets it over the configuration: this
        // one also knows json and systemd, and the configuration (Logging:Console:FormatterName) is bound again after.
        builder.Logging.AddConsole();
        builder.Services.Configure<ConsoleLoggerOptions>(builder.Configuration.GetSection(ConsoleSection));

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => RedisConnection.Connect(options.Redis));
        builder.Services.AddSingleton<IInventoryStore>(services => new RedisInventoryStore(
            services.GetRequiredService<IConnectionMultiplexer>(), refusalRetention: options.Buy.RefusalRetention));
        builder.Services.AddSingleton<IOrderStore>(services => new RedisOrderStore(services.GetRequiredService<IConnectionMultiplexer>()));
        builder.Services.AddSingleton<IOrderStream>(services => new RedisOrderStream(services.GetRequiredService<IConnectionMultiplexer>()));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ReadinessTag]);

        // The node's clock: the board and the StockActors decide a sale's opening and closing with it (tests replace it).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => new SaleBoard(services.GetRequiredService<TimeProvider>()));
        // The dashboard's buy rates: this node's tally (the buy endpoint counts into it) and every API node's last second.
        builder.Services.AddSingleton<BuyTally>();
        builder.Services.AddSingleton(services => new ClusterBuyRates(services.GetRequiredService<TimeProvider>()));
        builder.Services.AddAkka(SystemName, (akka, services) => ConfigureActorSystem(akka, services, options));
        // After AddAkka: hosted services start in order, so the actor system is up before the first command.
        builder.Services.AddCommandHost();
        if (options.Metrics.Enabled)
        {
            AddMetrics(builder.Services);
        }
        if (options.Tracing.Enabled)
        {
            AddTracing(builder.Services, options.Tracing);
        }
        return builder;
    }

    public const string MetricsPath = "/metrics";

    private const string ConsoleSection = "Logging:Console";

    /// <summary>Spike's meter, ASP.NET Core's and the runtime's, exported for Prometheus.</summary>
    private static void AddMetrics(IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(SpikeMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        // After AddAkka, like the command host: the gauges read the running actor system.
        services.AddHostedService<MetricsSources>();
    }

    /// <summary>
    /// Spike's spans and ASP.NET Core's request spans, sampled at the request (parent-based, so Spike's spans and the
    /// inventory node's follow the request's decision), exported over OTLP. Probes and scrapes are not traced.
    /// </summary>
    private static void AddTracing(IServiceCollection services, TracingOptions tracing)
    {
        if (tracing.Check() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
        services.AddOpenTelemetry().WithTracing(traces => traces
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(tracing.SampleRatio)))
            .AddSource(SpikeTracing.SourceName)
            .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !UntracedPaths.Contains(context.Request.Path.Value))
            .AddOtlpExporter(otlp =>
            {
                if (tracing.OtlpEndpoint is { } endpoint)
                {
                    otlp.Endpoint = new Uri(endpoint);
                }
            }));
    }

    private static readonly HashSet<string?> UntracedPaths = ["/healthz", "/ready", MetricsPath];

    /// <summary>The Prometheus scrape endpoint, when metrics are enabled.</summary>
    public static IEndpointRouteBuilder MapSpikeMetrics(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<SpikeOptions>>().Value.Metrics.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }
        return app;
    }

    /// <summary>/healthz: the actor system runs. /ready: this node is an Up cluster member and Redis answers.</summary>
    public static IEndpointRouteBuilder MapSpikeHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LivenessTag) });
        app.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessTag) });
        return app;
    }

    /// <summary>
    /// The lowest level the host logs Akka's events at: Akka does not even build the events below it (an actor's
    /// debug lines cost nothing unless asked for). The host's filters still apply per category.
    /// </summary>
    private static Akka.Event.LogLevel AkkaLogLevel(ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Akka");
        return logger.IsEnabled(LogLevel.Debug) ? Akka.Event.LogLevel.DebugLevel
            : logger.IsEnabled(LogLevel.Information) ? Akka.Event.LogLevel.InfoLevel
            : logger.IsEnabled(LogLevel.Warning) ? Akka.Event.LogLevel.WarningLevel
            : Akka.Event.LogLevel.ErrorLevel;
    }

    private static void ConfigureActorSystem(AkkaConfigurationBuilder akka, IServiceProvider services, SpikeOptions options)
    {
        var node = options.Node;
        var roles = node.EffectiveRoles;
        var extractor = new SaleMessageExtractor(node.InventoryShards);
        var orderExtractor = new OrderMessageExtractor(node.InventoryShards);

        akka
            .AddHoconFile(Path.Combine(AppContext.BaseDirectory, "hocon", "spike.hocon"), HoconAddMode.Prepend)
            // Akka's log events go to the host's loggers, so Logging:LogLevel and the console format govern them too.
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = AkkaLogLevel(services.GetRequiredService<ILoggerFactory>());
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .WithRemoting(node.Hostname, node.Port)
            .WithClustering(new ClusterOptions { Roles = roles, SeedNodes = node.SeedNodes })
            .WithCustomSerializer("spike", [typeof(ISpikeMessage)], system => new SpikeSerializer(system))
            .WithDistributedPubSub(role: null!)
            .WithActorSystemLivenessCheck(tags: [LivenessTag])
            .WithAkkaClusterReadinessCheck(tags: [ReadinessTag])
            // The OrderActors' journal; only nodes that host them (role inventory) ever start the plugin.
            .WithRedisPersistence(persistence =>
            {
                persistence.ConfigurationString = options.Redis;
                persistence.KeyPrefix = SaleKeys.Prefix;
            });

        if (roles.Contains(NodeOptions.InventoryRole))
        {
            var store = services.GetRequiredService<IInventoryStore>();
            var settings = options.Buy.ToInventorySettings();
            akka.WithShardRegion<InventoryRegion>(
                InventoryTypeName,
                (system, _) => saleId => InventoryActor.Props(saleId, store, DistributedPubSub.Get(system).Mediator, settings),
                extractor,
                new ShardOptions
                {
                    Role = NodeOptions.InventoryRole,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                });
            var orderStore = services.GetRequiredService<IOrderStore>();
            akka.WithShardRegion<OrderRegion>(
                OrderTypeName,
                (_, registry) => orderId => OrderActor.Props(orderId, orderStore, registry.Get<InventoryRegion>(), OrderSettings.Default),
                orderExtractor,
                new ShardOptions
                {
                    Role = NodeOptions.InventoryRole,
                    StateStoreMode = StateStoreMode.DData,
                    RememberEntities = false,
                    // Orders passivate themselves (OrderSettings); the order feed wakes open ones at their deadline.
                    ShouldPassivateIdleEntities = false,
                });
            var stream = services.GetRequiredService<IOrderStream>();
            var feedSettings = options.Orders.ToFeedSettings() with
            {
                LagEvery = options.Metrics.Enabled ? options.Metrics.RefreshEvery : null,
            };
            // One feed in the cluster, on the oldest inventory node; it moves when that node leaves or dies.
            akka.WithSingleton<OrderFeed>(
                OrderFeedName,
                (_, registry, _) => OrderFeedActor.Props(stream, registry.Get<OrderRegion>(), feedSettings),
                new ClusterSingletonOptions { Role = NodeOptions.InventoryRole },
                createProxyToo: false);
            if (options.Metrics.Enabled)
            {
                akka.WithActors((system, registry) => system.ActorOf(ShardCountsActor.Props(
                    new Dictionary<string, IActorRef>
                    {
                        [InventoryTypeName] = registry.Get<InventoryRegion>(),
                        [OrderTypeName] = registry.Get<OrderRegion>(),
                    },
                    options.Metrics.RefreshEvery), "shard-counts"));
            }
        }
        else
        {
            akka.WithShardRegionProxy<InventoryRegion>(InventoryTypeName, NodeOptions.InventoryRole, extractor);
            akka.WithShardRegionProxy<OrderRegion>(OrderTypeName, NodeOptions.InventoryRole, orderExtractor);
        }

        if (roles.Contains(NodeOptions.ApiRole))
        {
            var stockSettings = options.Buy.ToStockSettings();
            var board = services.GetRequiredService<SaleBoard>();
            var store = services.GetRequiredService<IInventoryStore>();
            var tally = services.GetRequiredService<BuyTally>();
            var rates = services.GetRequiredService<ClusterBuyRates>();
            var clock = services.GetRequiredService<TimeProvider>();
            akka.WithActors((system, registry) =>
            {
                var mediator = DistributedPubSub.Get(system).Mediator;
                system.ActorOf(BuyRatesActor.Props(tally, rates, mediator, Cluster.Get(system).SelfAddress.ToString(), clock, BuyRatesActor.Interval), "buy-rates");
                var inventory = registry.Get<InventoryRegion>();
                var manager = system.ActorOf(StockManagerActor.Props(inventory, store, stockSettings, board), "stock");
                registry.Register<StockManager>(manager);
                // The manager takes the acknowledgement. Without an explicit sender Tell uses whatever actor runs
                // on this thread, and this callback can run on a thread a TestKit marked as its test actor's.
                mediator.Tell(new Subscribe(SaleStatusChanged.Topic, manager), manager);
            });
        }

        if (node.SeedNodes.Length == 0)
        {
            // A lone node (or a test on port 0) forms its own cluster.
            akka.WithActors((system, _) =>
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
    }
}
