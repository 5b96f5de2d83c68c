using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spike.Sales;
using Spike.Tests.Support;

namespace Spike.Tests.Fixtures;

/// <summary>
/// The real web node (both roles, a one-node cluster on a random remoting port) in-process, against
/// its own real redis-server.
/// </summary>
public class SpikeAppFixture : IAsyncLifetime
{
    private readonly int? _loopbackPort;
    private WebApplicationFactory<Program>? _factory;

    public SpikeAppFixture()
    {
    }

    /// <param name="loopbackPort">Serve HTTP on 127.0.0.1 at this port (Kestrel) instead of in memory.</param>
    protected SpikeAppFixture(int loopbackPort) => _loopbackPort = loopbackPort;

    /// <summary>The node's real address, for clients that open their own connections; null when it serves in memory.</summary>
    public Uri? LoopbackUrl => _loopbackPort is { } port ? new Uri($"http://127.0.0.1:{port}") : null;

    public RedisServerFixture Redis { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>
    /// What the node logged at Warning or above (through Microsoft.Extensions.Logging, Akka's events included): its
    /// errors, and the evidence a spec shows when the node does not answer.
    /// </summary>
    public LogRecorder NodeLogs { get; } = new(LogLevel.Warning);

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("Spike:Redis", Redis.ConnectionString);
            web.UseSetting("Spike:AdminToken", Admin.Token);
            web.UseSetting("Spike:Node:Port", "0");
            web.UseSetting("Spike:Buy:RequestTimeout", "00:00:03");
            // Each test makes its own sale: the order feed finds it soon.
            web.UseSetting("Spike:Orders:ListSalesEvery", "00:00:00.200");
            // Tests retry one user many times a second; the admission limits have their own specs (AdmissionSpecs).
            web.UseSetting("Spike:Admission:PerUser:PerSecond", "1000000");
            web.UseSetting("Spike:Admission:PerUser:Burst", "1000000");
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(NodeLogs));
            ConfigureNode(web);
        });
        if (_loopbackPort is { } port)
        {
            _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        }
        Client = _factory.CreateClient();
        await WaitUntilReadyAsync();
    }

    /// <summary>What a derived fixture changes about its node (settings, services), after the common settings.</summary>
    protected virtual void ConfigureNode(IWebHostBuilder web)
    {
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        await Redis.DisposeAsync();
    }

    public async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Client.GetAsync("/ready")).StatusCode != HttpStatusCode.OK)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The Spike node did not become ready within 30s.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Creates a sale with a unique id and returns the id.</summary>
    public Task<string> CreateSaleAsync(long stock, int perUserLimit = 1) => Admin.CreateSaleAsync(Client, stock, perUserLimit);

    /// <summary>What Redis holds for the sale, read directly: the audit every test checks.</summary>
    public Task<SaleAudit> AuditAsync(string sale, SaleAuditOptions? options = null) =>
        SaleAudit.ReadAsync(Redis.Database, sale, options: options);
}

/// <summary>The node of <see cref="SpikeAppFixture"/> on a real loopback port (<see cref="SpikeAppFixture.LoopbackUrl"/>).</summary>
public sealed class LoopbackSpikeAppFixture() : SpikeAppFixture(FreePort.Next());

[CollectionDefinition(Name)]
public sealed class SpikeAppCollection : ICollectionFixture<SpikeAppFixture>
{
    public const string Name = "spike-app";
}

[CollectionDefinition(Name)]
public sealed class LoopbackSpikeAppCollection : ICollectionFixture<LoopbackSpikeAppFixture>
{
    public const string Name = "spike-app-loopback";
}
