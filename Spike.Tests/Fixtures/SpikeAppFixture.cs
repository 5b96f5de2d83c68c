using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spike.Host.Redis;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Fixtures;

/// <summary>
/// The real web node (both roles, a one-node cluster on a random remoting port) in-process, against
/// its own real redis-server.
/// </summary>
public sealed class SpikeAppFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public RedisServerFixture Redis { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>What the node logged at Error or above (through Microsoft.Extensions.Logging; Akka's own log is not routed there).</summary>
    public ErrorLogRecorder ErrorLogs { get; } = new();

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
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(ErrorLogs));
        });
        Client = _factory.CreateClient();
        await WaitUntilReadyAsync();
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
    public Task<SaleAudit> AuditAsync(string sale) => SaleAudit.ReadAsync(Redis.Database, sale);
}

/// <param name="Reservations">Reservation records (orders); one may hold several tickets.</param>
/// <param name="ReservedTickets">Tickets the reservation records hold.</param>
/// <param name="TicketsByUser">Tickets the per-user counts add up to.</param>
public sealed record SaleAudit(
    long Total, long Held, long Available, long Reservations, long ReservedTickets, long OrderStreamEntries, long TicketsByUser, long MaxHeldByOneUser)
{
    /// <summary>What Redis holds for the sale, read directly.</summary>
    public static async Task<SaleAudit> ReadAsync(IDatabase db, string sale)
    {
        var meta = (await db.HashGetAllAsync(SaleKeys.Meta(sale))).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        var users = await db.HashGetAllAsync(SaleKeys.Users(sale));
        var reservations = await db.HashGetAllAsync(SaleKeys.Reservations(sale));
        return new SaleAudit(
            Total: meta.GetValueOrDefault(SaleKeys.TotalField),
            Held: meta.GetValueOrDefault(SaleKeys.HeldField),
            Available: meta.GetValueOrDefault(SaleKeys.AvailableField),
            Reservations: reservations.Length,
            ReservedTickets: reservations.Sum(r => (long)ReservationRecord.Parse(r.Value!).Quantity),
            OrderStreamEntries: await db.StreamLengthAsync(SaleKeys.Orders(sale)),
            TicketsByUser: users.Sum(u => (long)u.Value),
            MaxHeldByOneUser: users.Length == 0 ? 0 : users.Max(u => (long)u.Value));
    }

    /// <summary>Invariants 1, 3, 4 and 7: no oversell, per-user limit, every reservation recorded once, held + available == total.</summary>
    public void AssertConsistent(int perUserLimit = 1)
    {
        Assert.True(Held <= Total, $"oversold: held {Held} > total {Total}");
        Assert.Equal(Total, Held + Available);
        Assert.Equal(Held, ReservedTickets);
        Assert.Equal(Held, TicketsByUser);
        Assert.Equal(Reservations, OrderStreamEntries);
        Assert.True(MaxHeldByOneUser <= perUserLimit, $"a user holds {MaxHeldByOneUser} > limit {perUserLimit}");
    }
}

[CollectionDefinition(Name)]
public sealed class SpikeAppCollection : ICollectionFixture<SpikeAppFixture>
{
    public const string Name = "spike-app";
}
