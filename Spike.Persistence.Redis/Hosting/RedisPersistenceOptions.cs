using Akka.Persistence.Hosting;

namespace Spike.Persistence.Redis.Hosting;

/// <summary>What <see cref="RedisPersistenceHostingExtensions.WithRedisPersistence(Akka.Hosting.AkkaConfigurationBuilder, Action{RedisPersistenceOptions}, Action{AkkaPersistenceJournalBuilder}?)"/> sets up.</summary>
public sealed class RedisPersistenceOptions
{
    /// <summary>StackExchange.Redis configuration string. Required.</summary>
    public string ConfigurationString { get; set; } = "";

    public int Database { get; set; }

    public bool UseDatabaseNumberFromConnectionString { get; set; }

    public string KeyPrefix { get; set; } = "";

    /// <summary>The journal, the snapshot store, or both.</summary>
    public PersistenceMode Mode { get; set; } = PersistenceMode.Both;

    /// <summary>Make the journal the system's default journal (<c>akka.persistence.journal.plugin</c>).</summary>
    public bool IsDefaultJournal { get; set; } = true;

    /// <summary>Make the snapshot store the system's default one (<c>akka.persistence.snapshot-store.plugin</c>).</summary>
    public bool IsDefaultSnapshotStore { get; set; } = true;

    /// <summary>The plugins' name: <c>akka.persistence.journal.&lt;id&gt;</c>, <c>akka.persistence.snapshot-store.&lt;id&gt;</c>.</summary>
    public string PluginIdentifier { get; set; } = "redis";

    public string PluginDispatcher { get; set; } = "akka.actor.default-dispatcher";

    internal RedisJournalOptions ToJournalOptions() => new(IsDefaultJournal, PluginIdentifier)
    {
        ConfigurationString = ConfigurationString,
        Database = Database,
        UseDatabaseNumberFromConnectionString = UseDatabaseNumberFromConnectionString,
        KeyPrefix = KeyPrefix,
        PluginDispatcher = PluginDispatcher,
    };

    internal RedisSnapshotOptions ToSnapshotOptions() => new(IsDefaultSnapshotStore, PluginIdentifier)
    {
        ConfigurationString = ConfigurationString,
        Database = Database,
        UseDatabaseNumberFromConnectionString = UseDatabaseNumberFromConnectionString,
        KeyPrefix = KeyPrefix,
        PluginDispatcher = PluginDispatcher,
    };
}
