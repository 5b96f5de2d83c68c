using System.Globalization;
using Spike.Commands;

namespace Spike.Cli.Local;

/// <summary>How Redis writes its append-only file before it answers; the two modes whose guarantee the README states.</summary>
public static class RedisFsync
{
    /// <summary>A reserved answer is on disk before the node sends it.</summary>
    public const string Always = "always";

    /// <summary>Once a second in the background: up to about a second of answers is lost if the host dies.</summary>
    public const string EverySecond = "everysec";
}

/// <summary>
/// The local cluster's settings, read from the <c>SPIKE_*</c> environment variables (unset: the default). The one
/// reader of those variables: <c>spike up</c> plans and starts from it, <c>spike topology</c> prints its plan.
/// </summary>
public sealed record LocalSettings
{
    public const string CommandTokenVariable = CliCommand.TokenVariable;
    public const string AdminTokenVariable = "SPIKE_ADMIN_TOKEN";

    public required TopologySettings Topology { get; init; }

    public int RedisPort { get; init; } = 6379;

    /// <summary><see cref="RedisFsync.Always"/> or <see cref="RedisFsync.EverySecond"/>.</summary>
    public string RedisFsync { get; init; } = Local.RedisFsync.Always;

    /// <summary>How long every node (and nginx) may take to answer its readiness check.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A Redis still loading a large append-only file gets this long before it must answer.</summary>
    public TimeSpan RedisLoadTimeout { get; init; } = TimeSpan.FromSeconds(300);

    public string BuildConfiguration { get; init; } = "Release";

    /// <summary>
    /// nginx adds <c>X-Spike-Upstream</c> (the internal address of the node that answered) to every answer: on for the
    /// local cluster, whose demo counts each node's share with it (nginx/render.sh's own default is off).
    /// </summary>
    public bool NginxUpstreamHeader { get; init; } = true;

    /// <summary>nginx passes <c>/admin/</c> to the nodes on the public port (off: refused there; the admin API is on the nodes' ports).</summary>
    public bool NginxAdmin { get; init; }

    /// <exception cref="FormatException">A variable holds something that is not what it names (a port that is not a number, ...);
    /// <see cref="Commands.Topology.Plan"/> checks what the numbers make.</exception>
    public static LocalSettings FromEnvironment()
    {
        if (Text("SPIKE_REDIS_APPENDFSYNC") is not null)
        {
            // whoever set the old name asked for a mode and must not silently get another one
            throw new FormatException("SPIKE_REDIS_APPENDFSYNC is no longer read; set SPIKE_REDIS_FSYNC=always or SPIKE_REDIS_FSYNC=everysec instead (README: Durability)");
        }
        var fsync = Text("SPIKE_REDIS_FSYNC") ?? Local.RedisFsync.Always;
        if (fsync is not (Local.RedisFsync.Always or Local.RedisFsync.EverySecond))
        {
            throw new FormatException($"SPIKE_REDIS_FSYNC='{fsync}': use always (a reserved answer is on disk before it is sent) or everysec (up to ~1 s of answers lost if the host dies)");
        }
        var defaults = new TopologySettings();
        var redisPort = Number("SPIKE_REDIS_PORT") ?? 6379;
        var topology = new TopologySettings
        {
            InventoryNodes = Number("SPIKE_INVENTORY_NODES") ?? defaults.InventoryNodes,
            ApiPorts = Numbers("SPIKE_API_PORTS") ?? defaults.ApiPorts,
            ApiWeights = Numbers("SPIKE_API_WEIGHTS"),
            InventoryBasePort = Number("SPIKE_INVENTORY_BASE_PORT") ?? defaults.InventoryBasePort,
            AkkaBasePort = Number("SPIKE_AKKA_BASE_PORT") ?? defaults.AkkaBasePort,
            CommandBasePort = Number("SPIKE_COMMAND_BASE_PORT") ?? defaults.CommandBasePort,
            NginxPort = Number("SPIKE_NGINX_PORT") ?? defaults.NginxPort,
            Redis = $"{defaults.Host}:{redisPort}",
            AdminToken = Text(AdminTokenVariable),
            CommandToken = Text(CommandTokenVariable),
            DefaultSale = Text("SPIKE_DEFAULT_SALE"),
            LogLevel = Text("SPIKE_LOG_LEVEL"),
            LogFormat = Text("SPIKE_LOG_FORMAT"),
            // set but empty: no extra settings at all
            NodeEnvironment = Environment.GetEnvironmentVariable("SPIKE_NODE_ENV") is { } extra
                ? extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                : defaults.NodeEnvironment,
        };
        return new LocalSettings
        {
            Topology = topology,
            RedisPort = redisPort,
            RedisFsync = fsync,
            ReadyTimeout = TimeSpan.FromSeconds(Number("SPIKE_READY_TIMEOUT") ?? 120),
            BuildConfiguration = Text("SPIKE_BUILD_CONFIGURATION") ?? "Release",
            NginxUpstreamHeader = Switch("SPIKE_NGINX_UPSTREAM_HEADER", "on", "off") ?? true,
            NginxAdmin = Switch("SPIKE_NGINX_ADMIN", "allow", "deny") ?? false,
        };
    }

    /// <summary>True for <paramref name="yes"/>, false for <paramref name="no"/>, null when unset.</summary>
    private static bool? Switch(string variable, string yes, string no) => Text(variable) switch
    {
        null => null,
        var text when text == yes => true,
        var text when text == no => false,
        var text => throw new FormatException($"{variable}='{text}': use {yes} or {no}"),
    };

    internal static string? Text(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;

    internal static int? Number(string variable) => Text(variable) is { } text ? Parse(variable, text) : null;

    private static int[]? Numbers(string variable) =>
        Text(variable)?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => Parse(variable, t)).ToArray() is { Length: > 0 } numbers
            ? numbers
            : null;

    private static int Parse(string variable, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{variable}: '{text}' is not a whole number");
}
