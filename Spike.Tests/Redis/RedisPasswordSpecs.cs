using System.Net;
using Microsoft.Extensions.Logging;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Redis;

/// <summary>A Redis that requires a password: the node's configuration string (StackExchange.Redis syntax) carries it.</summary>
public sealed class RedisPasswordSpecs : IAsyncLifetime, IDisposable
{
    private readonly string _password = "s3cret-" + Guid.NewGuid().ToString("N");
    private readonly RedisServerFixture _redis;

    public RedisPasswordSpecs() => _redis = RedisServerFixture.WithPassword(_password);

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task Should_sell_and_never_log_the_password_when_redis_requires_one()
    {
        // arrange: one node with both roles, everything it logs recorded
        var logs = new LogRecorder(LogLevel.Trace);
        await using var node = await InProcessNode.StartSingleAsync(_redis.ConnectionString, logs: logs);
        var sale = await Admin.CreateSaleAsync(node.Client, stock: 2);

        // act
        using var bought = await node.Client.GetAsync($"/buy/ticket?sale={sale}&user=u1&requestId=r1");

        // assert: sold through the authenticated connection, and the password is in no log line
        Assert.Equal(HttpStatusCode.OK, bought.StatusCode);
        var audit = await SaleAudit.ReadAsync(_redis.Database, sale, null, new SaleAuditOptions());
        Assert.Equal(1, audit.Counts.Held);
        Assert.True(audit.Passed, audit.ToString());
        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(logs.Entries, entry => entry.Contains(_password, StringComparison.Ordinal));
    }
}
