using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spike.Actors.Stock;
using Spike.Commands;
using Spike.Host.Hosting;

namespace Spike.Tests.Support;

/// <summary>
/// One Spike cluster node of a <see cref="Topology"/> in the test process: the real web node, configured with the
/// topology's <c>Spike__…</c> settings (the rest of its environment, such as its HTTP URL, is a process's; a test
/// server has none).
/// </summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private const string SettingPrefix = SpikeOptions.Section + "__";

    private readonly WebApplicationFactory<Program> _factory;

    /// <param name="logs">Also receives everything the node logs through Microsoft.Extensions.Logging.</param>
    /// <param name="services">Changes the node's services after its own (a test's exporter, a stand-in).</param>
    public InProcessNode(TopologyNode node, IDictionary<string, string>? settings = null, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        Port = node.AkkaPort;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            foreach (var (key, value) in node.Environment.Where(e => e.Key.StartsWith(SettingPrefix, StringComparison.Ordinal)))
            {
                web.UseSetting(key.Replace("__", ":", StringComparison.Ordinal), value);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }
            if (logs is not null)
            {
                web.ConfigureServices(configured => configured.AddSingleton(logs));
            }
            if (services is not null)
            {
                web.ConfigureServices(services);
            }
        });
        Client = _factory.CreateClient();
    }

    /// <summary>A lone node carrying both roles on free ports, ready; the admin token is <see cref="Admin.Token"/>.</summary>
    public static async Task<InProcessNode> StartSingleAsync(
        string redis, IDictionary<string, string>? settings = null, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
    {
        var topology = Topology.Plan(new TopologySettings
        {
            InventoryNodes = 0,
            ApiPorts = [FreePort.Next()],
            AkkaPorts = [FreePort.Next()],
            CommandPorts = [FreePort.Next()],
            NginxPort = FreePort.Next(),
            Redis = redis,
            AdminToken = Admin.Token,
        });
        var node = new InProcessNode(topology.Nodes[0], settings, logs, services);
        try
        {
            await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node's Akka remoting port.</summary>
    public int Port { get; }

    public HttpClient Client { get; }

    public ActorSystem ActorSystem => _factory.Services.GetRequiredService<ActorSystem>();

    public SaleBoard Board => _factory.Services.GetRequiredService<SaleBoard>();

    public Address Address => Cluster.Get(ActorSystem).SelfAddress;

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await Client.GetAsync("/ready")).StatusCode != HttpStatusCode.OK)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"node on port {Port} not ready after {timeout}");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}
