using System.Globalization;
using System.Text;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Hosting;

namespace Spike.Persistence.Redis.Hosting;

/// <summary>The Redis journal for Akka.Persistence.Hosting's <c>WithJournal</c>: the keys of <c>reference.conf</c>.</summary>
/// <remarks>The hosting layer also writes a <c>serializer</c> key; the journal does not read it (payloads follow the
/// system's serializer bindings).</remarks>
public sealed class RedisJournalOptions(bool isDefaultPlugin = true, string identifier = "redis") : JournalOptions(isDefaultPlugin)
{
    public override string Identifier { get; set; } = identifier;

    /// <summary>StackExchange.Redis configuration string. Required.</summary>
    public string ConfigurationString { get; set; } = "";

    public int Database { get; set; }

    public bool UseDatabaseNumberFromConnectionString { get; set; }

    public string KeyPrefix { get; set; } = "";

    public string PluginDispatcher { get; set; } = "akka.actor.default-dispatcher";

    protected override Config InternalDefaultConfig => RedisPersistence.DefaultJournalConfig();

    protected override StringBuilder Build(StringBuilder sb)
    {
        RedisPluginKeys.Append(sb, ConfigurationString, Database, UseDatabaseNumberFromConnectionString, KeyPrefix, PluginDispatcher);
        return base.Build(sb);
    }
}

/// <summary>The Redis snapshot store for Akka.Persistence.Hosting's <c>WithSnapshot</c>: the keys of <c>reference.conf</c>.</summary>
public sealed class RedisSnapshotOptions(bool isDefaultPlugin = true, string identifier = "redis") : SnapshotOptions(isDefaultPlugin)
{
    public override string Identifier { get; set; } = identifier;

    /// <summary>StackExchange.Redis configuration string. Required.</summary>
    public string ConfigurationString { get; set; } = "";

    public int Database { get; set; }

    public bool UseDatabaseNumberFromConnectionString { get; set; }

    public string KeyPrefix { get; set; } = "";

    public string PluginDispatcher { get; set; } = "akka.actor.default-dispatcher";

    protected override Config InternalDefaultConfig => RedisPersistence.DefaultSnapshotStoreConfig();

    protected override StringBuilder Build(StringBuilder sb)
    {
        RedisPluginKeys.Append(sb, ConfigurationString, Database, UseDatabaseNumberFromConnectionString, KeyPrefix, PluginDispatcher);
        return base.Build(sb);
    }
}

/// <summary>Writes the keys both plugins share, inside the plugin block the base class wraps around them.</summary>
internal static class RedisPluginKeys
{
    public static void Append(
        StringBuilder sb, string configurationString, int database, bool useDatabaseNumberFromConnectionString,
        string keyPrefix, string pluginDispatcher)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"configuration-string = {configurationString.ToHocon()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"database = {database}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"use-database-number-from-connection-string = {useDatabaseNumberFromConnectionString.ToHocon()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"key-prefix = {keyPrefix.ToHocon()}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"plugin-dispatcher = {pluginDispatcher.ToHocon()}");
    }
}
