using Akka.Configuration;
using StackExchange.Redis;

namespace Spike.Persistence.Redis;

/// <summary>The settings both plugins read from their HOCON block (see <c>reference.conf</c>).</summary>
internal sealed record RedisPluginSettings(
    string ConfigurationString,
    int Database,
    bool UseDatabaseNumberFromConnectionString,
    string KeyPrefix)
{
    /// <summary>Reads <paramref name="config"/>, the plugin's block, with <paramref name="defaults"/> for missing keys.</summary>
    public static RedisPluginSettings From(Config config, Config defaults)
    {
        var merged = config.WithFallback(defaults);
        var configurationString = merged.GetString("configuration-string", "");
        if (string.IsNullOrWhiteSpace(configurationString))
        {
            throw new ConfigurationException("The Redis persistence plugin needs `configuration-string` (a StackExchange.Redis configuration string).");
        }

        var keyPrefix = merged.GetString("key-prefix", "");
        PersistenceKeys.ValidatePrefix(keyPrefix);
        return new RedisPluginSettings(
            configurationString,
            merged.GetInt("database", 0),
            merged.GetBoolean("use-database-number-from-connection-string", false),
            keyPrefix);
    }

    /// <summary>
    /// The connection options: the configuration string as given, except that a failed first connect does not throw,
    /// so the plugin starts while Redis is down (its calls fail until Redis answers).
    /// </summary>
    public ConfigurationOptions ConnectionOptions()
    {
        var options = ConfigurationOptions.Parse(ConfigurationString);
        options.AbortOnConnectFail = false;
        return options;
    }

    public int DatabaseNumber(ConfigurationOptions options) =>
        UseDatabaseNumberFromConnectionString ? options.DefaultDatabase ?? 0 : Database;
}
