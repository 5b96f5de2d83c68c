using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Spike.Persistence.Redis;
using Spike.Tests.Fixtures;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Spike.Tests.Persistence;

/// <summary>
/// The persistence specs share one <see cref="RedisServerFixture"/> of their own: they stop and restart it, which
/// must not surprise the other Redis specs.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisPersistenceCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis-persistence";
}

/// <summary>
/// A TestKit whose default journal and snapshot store are the Redis plugins on the collection's redis-server. Every
/// test gets a key prefix of its own, so tests never see each other's keys and need no FLUSHALL.
/// </summary>
public abstract class RedisPersistenceTestKit : TestKit
{
    protected RedisPersistenceTestKit(RedisServerFixture redis, ITestOutputHelper output)
        : this(redis, output, "spec-" + Guid.NewGuid().ToString("N") + ":")
    {
    }

    private RedisPersistenceTestKit(RedisServerFixture redis, ITestOutputHelper output, string keyPrefix)
        : base(SystemConfig(redis, keyPrefix), nameof(RedisPersistenceTestKit), output)
    {
        Redis = redis;
        KeyPrefix = keyPrefix;
    }

    protected RedisServerFixture Redis { get; }

    protected string KeyPrefix { get; }

    protected IDatabase Db => Redis.Database;

    protected IActorRef Journal => Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);

    protected IActorRef SnapshotStore => Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);

    /// <summary>
    /// The tests' connection string: the fixture's server with short timeouts, so a call while Redis is down fails
    /// within about a second instead of the client's default five.
    /// </summary>
    protected static string ConfigurationString(RedisServerFixture redis) =>
        redis.ConnectionString + ",connectTimeout=1000,asyncTimeout=1000,syncTimeout=1000";

    /// <summary>The Redis journal and snapshot store as the default plugins, on one server and key prefix.</summary>
    public static Config RedisPlugins(string configurationString, string keyPrefix) =>
        ConfigurationFactory.ParseString($$"""
            akka.persistence.journal.plugin = "{{RedisPersistence.JournalPluginId}}"
            akka.persistence.snapshot-store.plugin = "{{RedisPersistence.SnapshotStorePluginId}}"
            akka.persistence.journal.redis {
              configuration-string = "{{configurationString}}"
              key-prefix = "{{keyPrefix}}"
            }
            akka.persistence.snapshot-store.redis {
              configuration-string = "{{configurationString}}"
              key-prefix = "{{keyPrefix}}"
            }
            """).WithFallback(RedisPersistence.DefaultConfig());

    protected static Config SystemConfig(RedisServerFixture redis, string keyPrefix) =>
        ConfigurationFactory.ParseString($$"""
            # A plugin connects on its first call: on a loaded machine that alone can take the default 3 s.
            akka.test.single-expect-default = 10s
            akka.actor {
              serializers.persistence-spec = "{{typeof(TestEventSerializer).AssemblyQualifiedName}}"
              serialization-bindings {
                "{{typeof(TestEvent).AssemblyQualifiedName}}" = persistence-spec
                "{{typeof(UnserializableEvent).AssemblyQualifiedName}}" = persistence-spec
              }
            }
            """).WithFallback(RedisPlugins(ConfigurationString(redis), keyPrefix));

    protected static string NewPersistenceId() => "pid-" + Guid.NewGuid().ToString("N");

    /// <summary>Stops Redis (keeping its data), runs <paramref name="whileDown"/>, and starts Redis again whatever happened.</summary>
    protected async Task WhileRedisIsDownAsync(Func<Task> whileDown)
    {
        await Redis.StopAsync();
        try
        {
            await whileDown();
        }
        finally
        {
            await Redis.StartAsync();
        }
    }
}

/// <summary>An event of the specs; <see cref="ReplyTo"/> checks that an actor ref survives the journal.</summary>
public sealed record TestEvent(string Text, IActorRef? ReplyTo = null);

/// <summary>An event that <see cref="TestEventSerializer"/> refuses to serialize.</summary>
public sealed record UnserializableEvent(string Text);

/// <summary>A string-manifest serializer, as the journal meets them in production (Spike binds its messages to one).</summary>
public sealed class TestEventSerializer : SerializerWithStringManifest
{
    private readonly ExtendedActorSystem _system;

    public TestEventSerializer(ExtendedActorSystem system) : base(system)
    {
        _system = system;
    }

    public const string EventManifest = "TE1";

    public override int Identifier => 9_301;

    public override string Manifest(object o) => o switch
    {
        TestEvent => EventManifest,
        UnserializableEvent => "U",
        _ => throw new ArgumentException($"Cannot serialize {o.GetType()}", nameof(o)),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        TestEvent e => Encoding.UTF8.GetBytes(
            (e.ReplyTo is null ? "" : Akka.Serialization.Serialization.SerializedActorPath(e.ReplyTo)) + "\n" + e.Text),
        UnserializableEvent => throw new SerializationException("UnserializableEvent refuses to be serialized."),
        _ => throw new ArgumentException($"Cannot serialize {obj.GetType()}", nameof(obj)),
    };

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != EventManifest)
        {
            throw new SerializationException($"Unknown manifest '{manifest}'.");
        }

        var text = Encoding.UTF8.GetString(bytes);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var path = text[..newline];
        return new TestEvent(text[(newline + 1)..], path.Length == 0 ? null : _system.Provider.ResolveActorRef(path));
    }
}
