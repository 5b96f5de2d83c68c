using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spike.Persistence.Redis;
using Spike.Persistence.Redis.Hosting;
using Spike.Tests.Fixtures;
using StackExchange.Redis;

namespace Spike.Tests.Persistence;

/// <summary><c>WithRedisPersistence</c> in a real host: the HOCON it produces and a persistent actor on it.</summary>
[Collection(RedisPersistenceCollection.Name)]
public sealed class RedisPersistenceHostingSpecs(RedisServerFixture redis)
{
    private readonly string _keyPrefix = "hosting-" + Guid.NewGuid().ToString("N") + ":";

    [Fact]
    public async Task Should_make_both_plugins_the_defaults_and_persist_when_configured_with_defaults()
    {
        using var host = await StartHostAsync(options => { });
        var system = host.Services.GetRequiredService<ActorSystem>();
        var config = system.Settings.Config;

        Assert.Equal(RedisPersistence.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(RedisPersistence.SnapshotStorePluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Equal(typeof(RedisJournal).FullName + ", Spike.Persistence.Redis", config.GetString("akka.persistence.journal.redis.class"));
        Assert.Equal(typeof(RedisSnapshotStore).FullName + ", Spike.Persistence.Redis", config.GetString("akka.persistence.snapshot-store.redis.class"));
        Assert.Equal(_keyPrefix, config.GetString("akka.persistence.journal.redis.key-prefix"));
        Assert.Equal(redis.ConnectionString, config.GetString("akka.persistence.snapshot-store.redis.configuration-string"));
        Assert.Equal("off", config.GetString("akka.persistence.journal.redis.replay-filter.mode"));
        var pid = "hosted-" + Guid.NewGuid().ToString("N");
        PersistAndRecover(system, pid);
        Assert.Equal(2, await redis.Database.SortedSetLengthAsync(PersistenceKeys.Events(_keyPrefix, pid)));
    }

    [Fact]
    public async Task Should_add_only_the_journal_when_the_mode_is_journal()
    {
        using var host = await StartHostAsync(options => options.Mode = PersistenceMode.Journal);
        var config = host.Services.GetRequiredService<ActorSystem>().Settings.Config;

        Assert.Equal(RedisPersistence.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.NotEqual(RedisPersistence.SnapshotStorePluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.False(config.HasPath("akka.persistence.snapshot-store.redis.configuration-string"));
    }

    [Fact]
    public async Task Should_add_the_plugins_without_making_them_defaults_when_told_not_to()
    {
        using var host = await StartHostAsync(options =>
        {
            options.IsDefaultJournal = false;
            options.IsDefaultSnapshotStore = false;
        });
        var config = host.Services.GetRequiredService<ActorSystem>().Settings.Config;

        Assert.NotEqual(RedisPersistence.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.NotEqual(RedisPersistence.SnapshotStorePluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Equal(redis.ConnectionString, config.GetString("akka.persistence.journal.redis.configuration-string"));
    }

    [Fact]
    public async Task Should_write_to_the_configured_database_when_a_database_number_is_set()
    {
        using var host = await StartHostAsync(options => options.Database = 3);
        var pid = "db3-" + Guid.NewGuid().ToString("N");

        PersistAndRecover(host.Services.GetRequiredService<ActorSystem>(), pid);

        Assert.Equal(2, await redis.Connection.GetDatabase(3).SortedSetLengthAsync(PersistenceKeys.Events(_keyPrefix, pid)));
        Assert.Equal(0, await redis.Database.SortedSetLengthAsync(PersistenceKeys.Events(_keyPrefix, pid)));
    }

    [Fact]
    public async Task Should_write_to_the_connection_strings_database_when_told_to_take_it_from_there()
    {
        using var host = await StartHostAsync(options =>
        {
            options.ConfigurationString = redis.ConnectionString + ",defaultDatabase=5";
            options.Database = 3;
            options.UseDatabaseNumberFromConnectionString = true;
        });
        var pid = "db5-" + Guid.NewGuid().ToString("N");

        PersistAndRecover(host.Services.GetRequiredService<ActorSystem>(), pid);

        Assert.Equal(2, await redis.Connection.GetDatabase(5).SortedSetLengthAsync(PersistenceKeys.Events(_keyPrefix, pid)));
        Assert.Equal(0, await redis.Connection.GetDatabase(3).SortedSetLengthAsync(PersistenceKeys.Events(_keyPrefix, pid)));
    }

    [Fact]
    public void Should_refuse_the_setup_when_the_configuration_string_is_missing()
    {
        var services = new ServiceCollection();
        var builder = new AkkaConfigurationBuilder(services, "no-redis");

        Assert.Throws<ArgumentException>(() => builder.WithRedisPersistence(options => options.KeyPrefix = "x:"));
    }

    private async Task<IHost> StartHostAsync(Action<RedisPersistenceOptions> configure)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddAkka("hosting-spec", akka => akka.WithRedisPersistence(options =>
        {
            options.ConfigurationString = redis.ConnectionString;
            options.KeyPrefix = _keyPrefix;
            configure(options);
        }));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// Persists two events with a real actor, then has a second incarnation recover them. The host's system binds no
    /// serializer to <see cref="TestEvent"/>, so this also takes Akka's default (JSON, type manifest) path.
    /// </summary>
    private static void PersistAndRecover(ActorSystem system, string pid)
    {
        var testKit = new TestKit(system);
        var reporter = testKit.CreateTestProbe();
        var actor = system.ActorOf(Props.Create(() => new RecordingActor(pid, reporter.Ref)));
        actor.Tell(new RecordingActor.PersistOne(new TestEvent("one")));
        actor.Tell(new RecordingActor.PersistOne(new TestEvent("two")));
        reporter.ReceiveN(2);
        testKit.Watch(actor);
        actor.Tell(PoisonPill.Instance);
        testKit.ExpectTerminated(actor);

        var recovered = system.ActorOf(Props.Create(() => new RecordingActor(pid, reporter.Ref)));
        recovered.Tell(new RecordingActor.GetState(), reporter.Ref);
        Assert.Equal(["one", "two"], reporter.ExpectMsg<RecordingActor.State>().Texts);
    }
}
