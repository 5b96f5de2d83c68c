using System.Globalization;

namespace Spike.Commands;

/// <summary>The two node kinds and the cluster roles they carry.</summary>
public static class NodeRoles
{
    public const string Api = "api";
    public const string Inventory = "inventory";
}

/// <summary>
/// What a cluster on one host is made of. The defaults are <c>./spike.sh up</c>'s (and docker/compose.yaml's):
/// 2 inventory nodes, 4 API nodes on 3001-3004 weighted 1:2:3:4. Explicit port lists (tests take free ports)
/// win over the base ports.
/// </summary>
public sealed record TopologySettings
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Headless inventory nodes, the seeds. 0: every API node carries both roles and the first one is the seed.</summary>
    public int InventoryNodes { get; init; } = 2;

    public IReadOnlyList<int> ApiPorts { get; init; } = [3001, 3002, 3003, 3004];

    /// <summary>nginx weight of each API node, same order as <see cref="ApiPorts"/>; null: 1, 2, 3, ...</summary>
    public IReadOnlyList<int>? ApiWeights { get; init; }

    /// <summary>HTTP (<c>/healthz</c>, <c>/ready</c>) of inventory node 1; the next ones +1, +2, ...</summary>
    public int InventoryBasePort { get; init; } = 3101;

    /// <summary>Akka remoting of the first node in start order (inventory nodes, then API nodes); the next ones +1, +2, ...</summary>
    public int AkkaBasePort { get; init; } = 4053;

    /// <summary>Command host of node 0; node i gets this + i.</summary>
    public int CommandBasePort { get; init; } = NodeEndpoint.BasePort;

    public IReadOnlyList<int>? InventoryPorts { get; init; }

    public IReadOnlyList<int>? AkkaPorts { get; init; }

    public IReadOnlyList<int>? CommandPorts { get; init; }

    public int NginxPort { get; init; } = 8080;

    /// <summary>StackExchange.Redis configuration the nodes get.</summary>
    public string Redis { get; init; } = "127.0.0.1:6379";

    public string? AdminToken { get; init; }

    /// <summary>The command hosts' token; without one they stay closed.</summary>
    public string? CommandToken { get; init; }

    public string? DefaultSale { get; init; }

    public string? LogLevel { get; init; }

    /// <summary>The nodes' console log format (<c>json</c>, <c>simple</c>, <c>systemd</c>); none: ASP.NET Core's default (simple).</summary>
    public string? LogFormat { get; init; }

    /// <summary>
    /// Extra KEY=VALUE settings for every node process. The default stops the thread pool's idle workers from spinning:
    /// several .NET processes share few cores, and the spinning burns the CPU the other nodes need.
    /// </summary>
    public IReadOnlyList<string> NodeEnvironment { get; init; } = [];

    public IReadOnlyList<int> EffectiveApiWeights => ApiWeights ?? [.. Enumerable.Range(1, ApiPorts.Count)];
}

/// <summary>One node process: where it listens, what it is, and the exact environment it is started with.</summary>
/// <param name="Index">Start order, from 0; also what <c>spike cli &lt;i&gt;</c> counts.</param>
/// <param name="Weight">nginx weight; 0 for inventory nodes, which nginx does not route to.</param>
public sealed record TopologyNode(
    int Index, string Name, string Kind, IReadOnlyList<string> Roles, string Host, int HttpPort, int AkkaPort, int CommandPort,
    int Weight, bool IsSeed, IReadOnlyList<KeyValuePair<string, string>> Environment)
{
    public string AkkaAddress => Topology.AkkaAddress(Host, AkkaPort);
}

/// <summary>The node plan of a cluster, derived from <see cref="TopologySettings"/>: the one place that decides it.</summary>
public sealed class Topology
{
    private Topology(TopologySettings settings, IReadOnlyList<TopologyNode> nodes)
    {
        Settings = settings;
        Nodes = nodes;
    }

    public TopologySettings Settings { get; }

    /// <summary>In start order: inventory nodes first (the seeds), then the API nodes.</summary>
    public IReadOnlyList<TopologyNode> Nodes { get; }

    /// <summary>The seed list, identical on every node, the first seed first.</summary>
    public IReadOnlyList<string> Seeds => [.. Nodes.Where(n => n.IsSeed).Select(n => n.AkkaAddress)];

    public static string AkkaAddress(string host, int port) => $"akka.tcp://spike@{host}:{port}";

    /// <exception cref="ArgumentException">The settings do not make a cluster (no API node, a weight missing, a port used twice, ...).</exception>
    public static Topology Plan(TopologySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        var inventory = settings.InventoryNodes;
        var count = inventory + settings.ApiPorts.Count;
        var seedCount = Math.Max(inventory, 1);
        var seeds = Enumerable.Range(0, seedCount).Select(i => AkkaAddress(settings.Host, AkkaPort(settings, i))).ToArray();
        var weights = settings.EffectiveApiWeights;
        var nodes = new List<TopologyNode>(count);
        for (var i = 0; i < count; i++)
        {
            var isInventory = i < inventory;
            var http = isInventory ? settings.InventoryPorts?[i] ?? settings.InventoryBasePort + i : settings.ApiPorts[i - inventory];
            string[] roles = isInventory ? [NodeRoles.Inventory] : inventory == 0 ? [NodeRoles.Api, NodeRoles.Inventory] : [NodeRoles.Api];
            var akka = AkkaPort(settings, i);
            var command = settings.CommandPorts?[i] ?? settings.CommandBasePort + i;
            nodes.Add(new TopologyNode(
                Index: i,
                Name: isInventory ? $"inventory-{i + 1}" : $"api-{http}",
                Kind: isInventory ? NodeRoles.Inventory : NodeRoles.Api,
                Roles: roles,
                Host: settings.Host,
                HttpPort: http,
                AkkaPort: akka,
                CommandPort: command,
                Weight: isInventory ? 0 : weights[i - inventory],
                IsSeed: i < seedCount,
                Environment: NodeEnvironment(settings, http, akka, command, roles, seeds)));
        }
        var ports = nodes.SelectMany(n => new[] { n.HttpPort, n.AkkaPort, n.CommandPort }).Append(settings.NginxPort).ToArray();
        var twice = ports.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (twice.Length > 0)
        {
            throw new ArgumentException($"port(s) used twice by this topology: {string.Join(' ', twice)} (HTTP, Akka, command host and nginx ports)");
        }
        return new Topology(settings, nodes);
    }

    private static int AkkaPort(TopologySettings settings, int index) => settings.AkkaPorts?[index] ?? settings.AkkaBasePort + index;

    /// <summary>Exactly what the node process gets, in the order it is set (a later duplicate key wins, as with env(1)).</summary>
    private static KeyValuePair<string, string>[] NodeEnvironment(
        TopologySettings settings, int http, int akka, int command, string[] roles, string[] seeds)
    {
        var env = new List<KeyValuePair<string, string>>
        {
            new("ASPNETCORE_ENVIRONMENT", "Production"),
            new("DOTNET_NOLOGO", "1"),
            new("Spike__Redis", settings.Redis),
        };
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                env.Add(new(key, value));
            }
        }
        Add("Spike__AdminToken", settings.AdminToken);
        Add("Spike__Node__Hostname", settings.Host);
        Add("Spike__Node__Port", Number(akka));
        for (var i = 0; i < seeds.Length; i++)
        {
            Add($"Spike__Node__SeedNodes__{i}", seeds[i]);
        }
        for (var i = 0; i < roles.Length; i++)
        {
            Add($"Spike__Node__Roles__{i}", roles[i]);
        }
        Add("Spike__DefaultSale", settings.DefaultSale);
        Add("Logging__LogLevel__Default", settings.LogLevel);
        Add("Logging__Console__FormatterName", settings.LogFormat);
        foreach (var extra in settings.NodeEnvironment)
        {
            var equals = extra.IndexOf('=', StringComparison.Ordinal);
            env.Add(new(extra[..equals], extra[(equals + 1)..]));
        }
        // Inventory nodes are headless too: HTTP only for /healthz and /ready.
        Add("ASPNETCORE_URLS", $"http://{settings.Host}:{Number(http)}");
        Add("Spike__CommandHost__Port", Number(command));
        Add("Spike__CommandHost__Token", settings.CommandToken);
        return [.. env];
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Validate(TopologySettings s)
    {
        Require(s.InventoryNodes is >= 0 and <= 20, $"{s.InventoryNodes} inventory nodes: use a number from 0 to 20");
        Require(s.ApiPorts.Count > 0, "no API port: give at least one");
        Require(s.EffectiveApiWeights.Count == s.ApiPorts.Count,
            $"{s.ApiPorts.Count} API ports ({string.Join(' ', s.ApiPorts)}) but {s.EffectiveApiWeights.Count} weights ({string.Join(' ', s.EffectiveApiWeights)}); give one weight per port");
        Require(s.EffectiveApiWeights.All(w => w is >= 1 and <= 1000), "a weight is not a whole number from 1 to 1000");
        Require(s.InventoryPorts is null || s.InventoryPorts.Count == s.InventoryNodes, "give one inventory port per inventory node");
        var count = s.InventoryNodes + s.ApiPorts.Count;
        Require(s.AkkaPorts is null || s.AkkaPorts.Count == count, $"give one Akka port per node ({count})");
        Require(s.CommandPorts is null || s.CommandPorts.Count == count, $"give one command host port per node ({count})");
        int[] ports =
        [
            .. s.ApiPorts, s.InventoryBasePort, s.AkkaBasePort, s.CommandBasePort, s.NginxPort,
            .. s.InventoryPorts ?? [], .. s.AkkaPorts ?? [], .. s.CommandPorts ?? [],
        ];
        Require(ports.All(p => p is >= 1 and <= 65535), $"not a port number: {string.Join(' ', ports.Where(p => p is < 1 or > 65535))}");
        Require(s.InventoryPorts is not null || s.InventoryBasePort + s.InventoryNodes - 1 <= 65535, "the inventory ports run past 65535");
        Require(s.AkkaPorts is not null || s.AkkaBasePort + count - 1 <= 65535, "the Akka ports run past 65535");
        Require(s.CommandPorts is not null || s.CommandBasePort + count - 1 <= 65535, "the command host ports run past 65535");
        foreach (var extra in s.NodeEnvironment)
        {
            Require(extra.Length > 1 && (char.IsAsciiLetter(extra[0]) || extra[0] == '_') && extra.IndexOf('=', StringComparison.Ordinal) > 0,
                $"node environment entry '{extra}' is not KEY=VALUE");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
