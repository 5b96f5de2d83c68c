using Akka.Configuration;
using Spike.Persistence.Redis;

namespace Spike.Tests.Persistence;

/// <summary>The HOCON surface (Akka.Persistence.Redis's keys) and the settings read from it.</summary>
public sealed class RedisPersistenceConfigSpecs
{
    private static readonly string[] PluginKeys =
    [
        "class", "configuration-string", "use-database-number-from-connection-string", "database", "plugin-dispatcher", "key-prefix",
    ];

    [Theory]
    [InlineData(RedisPersistence.JournalPluginId)]
    [InlineData(RedisPersistence.SnapshotStorePluginId)]
    public void Should_define_every_key_of_akka_persistence_redis_when_the_default_config_is_loaded(string pluginId)
    {
        var block = RedisPersistence.DefaultConfig().GetConfig(pluginId);

        Assert.All(PluginKeys, key => Assert.True(block.HasPath(key), $"{pluginId}.{key} is missing"));
        Assert.Equal("", block.GetString("configuration-string"));
        Assert.Equal(0, block.GetInt("database"));
        Assert.False(block.GetBoolean("use-database-number-from-connection-string"));
        Assert.Equal("akka.actor.default-dispatcher", block.GetString("plugin-dispatcher"));
        Assert.Equal("", block.GetString("key-prefix"));
    }

    [Fact]
    public void Should_turn_akkas_replay_filter_off_for_the_journal_when_the_default_config_is_loaded()
    {
        var journal = RedisPersistence.DefaultJournalConfig();

        Assert.Equal("off", journal.GetString("replay-filter.mode"));
    }

    [Fact]
    public void Should_make_neither_plugin_the_default_when_only_the_default_config_is_loaded()
    {
        var config = RedisPersistence.DefaultConfig();

        Assert.False(config.HasPath("akka.persistence.journal.plugin"));
        Assert.False(config.HasPath("akka.persistence.snapshot-store.plugin"));
    }

    [Fact]
    public void Should_refuse_the_settings_when_the_configuration_string_is_empty()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            RedisPluginSettings.From(ConfigurationFactory.Empty, RedisPersistence.DefaultJournalConfig()));

        Assert.Contains("configuration-string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_the_settings_when_the_key_prefix_has_a_brace()
    {
        var config = ConfigurationFactory.ParseString("""
            configuration-string = "127.0.0.1:6379"
            key-prefix = "app{1}:"
            """);

        Assert.Throws<ArgumentException>(() => RedisPluginSettings.From(config, RedisPersistence.DefaultJournalConfig()));
    }

    [Fact]
    public void Should_take_the_database_from_the_connection_string_when_told_to()
    {
        var config = ConfigurationFactory.ParseString("""
            configuration-string = "127.0.0.1:6379,defaultDatabase=7"
            database = 2
            use-database-number-from-connection-string = on
            """);

        var settings = RedisPluginSettings.From(config, RedisPersistence.DefaultJournalConfig());

        Assert.Equal(7, settings.DatabaseNumber(settings.ConnectionOptions()));
        Assert.Equal(2, (settings with { UseDatabaseNumberFromConnectionString = false }).DatabaseNumber(settings.ConnectionOptions()));
    }

    [Fact]
    public void Should_start_without_redis_when_the_configuration_string_would_abort_on_a_failed_connect()
    {
        var config = ConfigurationFactory.ParseString("""configuration-string = "127.0.0.1:6379,abortConnect=true" """);

        var options = RedisPluginSettings.From(config, RedisPersistence.DefaultJournalConfig()).ConnectionOptions();

        Assert.False(options.AbortOnConnectFail);
    }
}
