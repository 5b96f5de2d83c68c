using Akka.Hosting;
using Akka.Persistence.Hosting;

namespace Spike.Persistence.Redis.Hosting;

public static class RedisPersistenceHostingExtensions
{
    /// <summary>
    /// Adds the Redis journal and/or snapshot store (<see cref="RedisPersistenceOptions.Mode"/>), by default as the
    /// system's default plugins.
    /// </summary>
    /// <param name="journalBuilder">Event adapters and health checks of the journal (Akka.Persistence.Hosting).</param>
    public static AkkaConfigurationBuilder WithRedisPersistence(
        this AkkaConfigurationBuilder builder,
        Action<RedisPersistenceOptions> configure,
        Action<AkkaPersistenceJournalBuilder>? journalBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new RedisPersistenceOptions();
        configure(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConfigurationString, $"{nameof(RedisPersistenceOptions)}.{nameof(RedisPersistenceOptions.ConfigurationString)}");
        return builder.WithRedisPersistence(
            options.Mode == PersistenceMode.SnapshotStore ? null : options.ToJournalOptions(),
            options.Mode == PersistenceMode.Journal ? null : options.ToSnapshotOptions(),
            journalBuilder);
    }

    /// <summary>Adds the journal if <paramref name="journal"/> is given and the snapshot store if <paramref name="snapshotStore"/> is.</summary>
    public static AkkaConfigurationBuilder WithRedisPersistence(
        this AkkaConfigurationBuilder builder,
        RedisJournalOptions? journal,
        RedisSnapshotOptions? snapshotStore,
        Action<AkkaPersistenceJournalBuilder>? journalBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (journal is null && snapshotStore is null)
        {
            throw new ArgumentException("Give the journal options, the snapshot store options, or both.");
        }

        if (journal is not null)
        {
            builder.WithJournal(journal, journalBuilder);
        }

        if (snapshotStore is not null)
        {
            builder.WithSnapshot(snapshotStore);
        }

        return builder;
    }
}
