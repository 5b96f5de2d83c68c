using Akka.Configuration;

namespace Spike.Persistence.Redis;

/// <summary>The plugin ids and the default HOCON (<c>reference.conf</c>) of the Redis journal and snapshot store.</summary>
public static class RedisPersistence
{
    public const string JournalPluginId = "akka.persistence.journal.redis";
    public const string SnapshotStorePluginId = "akka.persistence.snapshot-store.redis";

    private const string ReferenceResource = "Spike.Persistence.Redis.reference.conf";

    private static readonly Lazy<Config> Reference = new(LoadReference);

    /// <summary>
    /// Both plugin blocks with their defaults. Use it as a fallback of the system's configuration; it makes neither
    /// plugin the default one.
    /// </summary>
    public static Config DefaultConfig() => Reference.Value;

    /// <summary>The journal block alone (the keys below <see cref="JournalPluginId"/>).</summary>
    public static Config DefaultJournalConfig() => DefaultConfig().GetConfig(JournalPluginId);

    /// <summary>The snapshot store block alone (the keys below <see cref="SnapshotStorePluginId"/>).</summary>
    public static Config DefaultSnapshotStoreConfig() => DefaultConfig().GetConfig(SnapshotStorePluginId);

    private static Config LoadReference()
    {
        using var stream = typeof(RedisPersistence).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"The embedded resource {ReferenceResource} is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
