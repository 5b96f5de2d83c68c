using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spike.Actors.Stock;

namespace Spike.Tests.Support;

/// <summary>One Spike cluster node in the test process: the real web node with the given roles on a fixed remoting port.</summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    public InProcessNode(string redis, int port, int seedPort, string[] roles, IDictionary<string, string>? settings = null)
    {
        Port = port;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("Spike:Redis", redis);
            web.UseSetting("Spike:AdminToken", Admin.Token);
            web.UseSetting("Spike:Node:Hostname", "127.0.0.1");
            web.UseSetting("Spike:Node:Port", port.ToString(CultureInfo.InvariantCulture));
            web.UseSetting("Spike:Node:SeedNodes:0", $"akka.tcp://spike@127.0.0.1:{seedPort}");
            for (var i = 0; i < roles.Length; i++)
            {
                web.UseSetting($"Spike:Node:Roles:{i}", roles[i]);
            }
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }
        });
        Client = _factory.CreateClient();
    }

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
