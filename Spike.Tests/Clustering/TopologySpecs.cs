using System.Text.Json;
using System.Text.RegularExpressions;
using Spike.Commands;
using Spike.Tests.Support;

namespace Spike.Tests.Clustering;

public sealed class TopologySpecs
{
    private static readonly Topology Defaults = Topology.Plan(new TopologySettings());

    [Fact]
    public void Should_start_the_inventory_nodes_first_as_seeds_then_the_weighted_api_nodes_when_planned_with_the_defaults()
    {
        var nodes = Defaults.Nodes;

        Assert.Equal(["inventory-1", "inventory-2", "api-3001", "api-3002", "api-3003", "api-3004"], nodes.Select(n => n.Name));
        Assert.Equal([3101, 3102, 3001, 3002, 3003, 3004], nodes.Select(n => n.HttpPort));
        Assert.Equal([4053, 4054, 4055, 4056, 4057, 4058], nodes.Select(n => n.AkkaPort));
        Assert.Equal([9110, 9111, 9112, 9113, 9114, 9115], nodes.Select(n => n.CommandPort));
        Assert.Equal([0, 0, 1, 2, 3, 4], nodes.Select(n => n.Weight));
        Assert.Equal(["akka.tcp://spike@127.0.0.1:4053", "akka.tcp://spike@127.0.0.1:4054"], Defaults.Seeds);
        Assert.All(nodes.Take(2), n => Assert.Equal([NodeRoles.Inventory], n.Roles));
        Assert.All(nodes.Skip(2), n => Assert.Equal([NodeRoles.Api], n.Roles));
    }

    [Fact]
    public void Should_give_every_api_node_both_roles_and_make_the_first_the_seed_when_there_are_no_inventory_nodes()
    {
        var topology = Topology.Plan(new TopologySettings { InventoryNodes = 0, ApiPorts = [3001, 3002] });

        Assert.All(topology.Nodes, n => Assert.Equal([NodeRoles.Api, NodeRoles.Inventory], n.Roles));
        Assert.Equal(["akka.tcp://spike@127.0.0.1:4053"], topology.Seeds);
    }

    [Fact]
    public void Should_set_the_console_log_format_of_every_node_when_a_log_format_is_given()
    {
        var topology = Topology.Plan(new TopologySettings { LogFormat = "json" });

        Assert.All(topology.Nodes, n => Assert.Contains(new KeyValuePair<string, string>("Logging__Console__FormatterName", "json"), n.Environment));
        Assert.All(Defaults.Nodes, n => Assert.DoesNotContain(n.Environment, e => e.Key == "Logging__Console__FormatterName"));
    }

    [Fact]
    public void Should_give_a_node_its_ports_seeds_roles_tokens_and_extra_settings_when_its_environment_is_read()
    {
        var topology = Topology.Plan(new TopologySettings
        {
            InventoryNodes = 1, ApiPorts = [5001], InventoryPorts = [5101], AkkaPorts = [5201, 5202], CommandPorts = [5301, 5302],
            Redis = "127.0.0.1:7000", AdminToken = "admin", CommandToken = "cmd", NodeEnvironment = ["A=1", "B=x=y"],
        });

        var env = topology.Nodes[1].Environment.ToDictionary(e => e.Key, e => e.Value);

        Assert.Equal("http://127.0.0.1:5001", env["ASPNETCORE_URLS"]);
        Assert.Equal(("5202", "5302", "cmd", "admin"), (env["Spike__Node__Port"], env["Spike__CommandHost__Port"], env["Spike__CommandHost__Token"], env["Spike__AdminToken"]));
        Assert.Equal(("akka.tcp://spike@127.0.0.1:5201", "api"), (env["Spike__Node__SeedNodes__0"], env["Spike__Node__Roles__0"]));
        Assert.Equal(("127.0.0.1:7000", "1", "x=y"), (env["Spike__Redis"], env["A"], env["B"]));
        Assert.False(env.ContainsKey("Spike__Node__SeedNodes__1"));
    }

    [Theory]
    [InlineData(new[] { 3001, 3002 }, new[] { 1 }, "one weight per port")]
    [InlineData(new[] { 3001, 4055 }, null, "used twice")]
    [InlineData(new[] { 3001, 70000 }, null, "not a port number")]
    public void Should_refuse_the_settings_when_they_do_not_make_a_cluster(int[] apiPorts, int[]? weights, string reason)
    {
        var refusal = Assert.Throws<ArgumentException>(() => Topology.Plan(new TopologySettings { ApiPorts = apiPorts, ApiWeights = weights }));

        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_agree_with_docker_compose_on_ports_roles_seeds_weights_and_settings_when_both_use_their_defaults()
    {
        var compose = ComposeFile.Read(Path.Combine(Repository.Root, "docker", "compose.yaml"));
        var inventory = Defaults.Nodes.Where(n => n.Kind == NodeRoles.Inventory).ToArray();
        var api = Defaults.Nodes.Where(n => n.Kind == NodeRoles.Api).ToArray();

        for (var i = 0; i < inventory.Length; i++)
        {
            AssertService(compose, $"inventory-{i + 1}", inventory[i]);
        }
        for (var i = 0; i < api.Length; i++)
        {
            AssertService(compose, $"api-{i + 1}", api[i]);
        }
        Assert.False(compose.Blocks.ContainsKey($"inventory-{inventory.Length + 1}"), "compose has more inventory nodes than the topology");
        Assert.False(compose.Blocks.ContainsKey($"api-{api.Length + 1}"), "compose has more API nodes than the topology");
        var shared = compose.Blocks["x-node-env"].Values;
        // In compose every node has its own address, so each is reached by its service name on one Akka port.
        var seeds = shared.Where(e => e.Key.StartsWith("Spike__Node__SeedNodes__", StringComparison.Ordinal)).Select(e => e.Value);
        Assert.Equal(inventory.Select(n => $"akka.tcp://spike@{n.Name}:4053"), seeds);
        // Runtime settings come with each program's runtimeconfig.json, not with a launcher.
        Assert.DoesNotContain(shared, e => e.Key.StartsWith("DOTNET_", StringComparison.Ordinal) && e.Key != "DOTNET_NOLOGO");
        var nginx = compose.Blocks["nginx"];
        Assert.Equal(string.Join(' ', api.Select(n => n.HttpPort)), nginx.Value("SPIKE_API_PORTS"));
        Assert.Equal(string.Join(' ', api.Select(n => n.Weight)), DefaultsIn(nginx.Value("SPIKE_API_WEIGHTS")));
        Assert.Equal($"127.0.0.1:{Defaults.Settings.NginxPort}:8080", DefaultsIn(Assert.Single(nginx.Items)));
        Assert.Equal(Defaults.Settings.Redis + ":6379", DefaultsIn(Assert.Single(compose.Blocks["redis"].Items, i => i.Contains("6379", StringComparison.Ordinal))));
    }

    [Fact]
    public void Should_agree_with_the_defaults_of_nginx_render_sh()
    {
        var render = File.ReadAllText(Path.Combine(Repository.Root, "nginx", "render.sh"));
        var settings = Defaults.Settings;
        var apiPorts = string.Join(' ', settings.ApiPorts);

        Assert.Equal(apiPorts, ShellDefault(render, "SPIKE_API_PORTS"));
        Assert.Equal(string.Join(' ', settings.EffectiveApiWeights), ShellDefault(render, "SPIKE_API_WEIGHTS"));
        Assert.Equal($"{settings.NginxPort}", ShellDefault(render, "SPIKE_NGINX_PORT"));
    }

    private static void AssertService(ComposeFile compose, string service, TopologyNode node)
    {
        Assert.True(compose.Blocks.TryGetValue(service, out var block), $"compose has no service {service}");
        Assert.Equal($"http://0.0.0.0:{node.HttpPort}", block.Value("ASPNETCORE_URLS"));
        Assert.Equal($"127.0.0.1:{node.HttpPort}:{node.HttpPort}", Assert.Single(block.Items));
        Assert.Equal(node.Roles, block.Values.Where(e => e.Key.StartsWith("Spike__Node__Roles__", StringComparison.Ordinal)).Select(e => e.Value));
    }

    /// <summary>The text with each compose substitution <c>${NAME:-default}</c> replaced by its default.</summary>
    [Theory]
    [InlineData("Spike.Api")]
    [InlineData("Spike.Host")]
    public void Should_stop_idle_thread_pool_workers_from_spinning_when_a_node_program_runs(string program)
    {
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, program + ".runtimeconfig.json")));

        var spinLimit = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties")
            .GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit");

        Assert.Equal("0", spinLimit.ToString());
    }

    private static string DefaultsIn(string text) => Regex.Replace(text, @"\$\{[A-Z_]+:-([^}]*)\}", "$1");

    /// <summary>The default of <c>${NAME:-default}</c> in a shell script.</summary>
    private static string ShellDefault(string script, string name)
    {
        var match = Regex.Match(script, @"\$\{" + name + @":-([^}]*)\}");
        Assert.True(match.Success, $"no default for {name}");
        return match.Groups[1].Value;
    }

    /// <summary>
    /// Just enough of docker/compose.yaml: each block (a top-level key such as <c>x-node-env</c>, or a service under
    /// <c>services:</c>) with its <c>key: value</c> lines at any depth below it and its <c>- item</c> lines.
    /// </summary>
    private sealed class ComposeFile
    {
        public Dictionary<string, Block> Blocks { get; } = [];

        public sealed class Block
        {
            public List<KeyValuePair<string, string>> Values { get; } = [];

            public List<string> Items { get; } = [];

            public string Value(string key) => Values.Single(e => e.Key == key).Value;
        }

        public static ComposeFile Read(string path)
        {
            var file = new ComposeFile();
            Block? block = null;
            var inServices = false;
            foreach (var raw in File.ReadLines(path))
            {
                var line = raw.TrimEnd();
                if (line.Length == 0 || line.TrimStart().StartsWith('#'))
                {
                    continue;
                }
                var indent = line.Length - line.TrimStart().Length;
                var text = line.Trim();
                var name = text.Split(':')[0];
                if (indent == 0)
                {
                    inServices = name == "services";
                    block = inServices ? null : file.Blocks[name] = new Block();
                }
                else if (indent == 2 && inServices)
                {
                    block = file.Blocks[name] = new Block();
                }
                else if (block is not null && text.StartsWith("- ", StringComparison.Ordinal))
                {
                    block.Items.Add(text[2..].Trim('"'));
                }
                else if (block is not null && text.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0)
                {
                    block.Values.Add(new(text[..colon], text[(colon + 2)..].Trim('"')));
                }
            }
            return file;
        }
    }
}
