using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Spike.Commands;
using Spike.Tests.Support;

namespace Spike.Tests.Fixtures;

/// <summary>
/// The demo topology as real processes on loopback: a real redis-server, inventory nodes (Spike.Host),
/// API nodes (Spike.Api) and a real nginx rendered from <c>nginx/spike.conf.template</c> in front.
/// Nodes can be killed with SIGKILL. Binaries are the ones built next to the test assembly's configuration.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The command host token every node is started with.</summary>
    public const string CommandToken = "test-command-token";

    private readonly string _runDirectory = Directory.CreateTempSubdirectory("spike-cluster-").FullName;
    private readonly List<Process> _processes = [];
    private Process? _nginx;

    private ProcessCluster(RedisServerFixture redis) => Redis = redis;

    public RedisServerFixture Redis { get; }

    public List<ClusterNode> InventoryNodes { get; } = [];

    public List<ClusterNode> ApiNodes { get; } = [];

    /// <summary>The plan the nodes were started from.</summary>
    public Topology Topology { get; private set; } = null!;

    public int NginxPort => Topology.Settings.NginxPort;

    public HttpClient Nginx { get; private set; } = null!;

    /// <param name="nodeEnvironment">Extra KEY=VALUE settings for every node (<see cref="TopologySettings.NodeEnvironment"/>).</param>
    public static async Task<ProcessCluster> StartAsync(
        RedisServerFixture redis, int inventoryNodes, int[] weights, IReadOnlyList<string>? nodeEnvironment = null)
    {
        var cluster = new ProcessCluster(redis);
        try
        {
            await cluster.StartNodesAsync(inventoryNodes, weights, nodeEnvironment ?? []);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartNodesAsync(int inventoryNodes, int[] weights, IReadOnlyList<string> nodeEnvironment)
    {
        var count = inventoryNodes + weights.Length;
        Topology = Topology.Plan(new TopologySettings
        {
            InventoryNodes = inventoryNodes,
            InventoryPorts = Ports(inventoryNodes),
            ApiPorts = Ports(weights.Length),
            ApiWeights = weights,
            AkkaPorts = Ports(count),
            CommandPorts = Ports(count),
            NginxPort = FreePort.Next(),
            Redis = Redis.ConnectionString,
            AdminToken = Admin.Token,
            CommandToken = CommandToken,
            NodeEnvironment = nodeEnvironment,
        });
        foreach (var node in Topology.Nodes)
        {
            (node.Kind == NodeRoles.Inventory ? InventoryNodes : ApiNodes).Add(StartNode(node));
        }
        await Task.WhenAll(InventoryNodes.Concat(ApiNodes).Select(n => n.WaitUntilReadyAsync(ReadyTimeout)));
        await StartNginxAsync();
    }

    /// <summary>
    /// Starts a killed node again as it was planned (same ports, same settings), as <c>spike up</c> does: it joins
    /// the cluster through the seed list. Returns the new process's node, which also replaces it in its list.
    /// </summary>
    public async Task<ClusterNode> RestartAsync(ClusterNode killed)
    {
        await killed.Process.WaitForExitAsync();
        var nodes = killed.Role == NodeRoles.Inventory ? InventoryNodes : ApiNodes;
        var restarted = StartNode(Topology.Nodes.Single(n => n.HttpPort == killed.HttpPort));
        nodes[nodes.IndexOf(killed)] = restarted;
        await restarted.WaitUntilReadyAsync(ReadyTimeout);
        return restarted;
    }

    private static int[] Ports(int count) => [.. Enumerable.Range(0, count).Select(_ => FreePort.Next())];

    private ClusterNode StartNode(TopologyNode node)
    {
        var project = node.Kind == NodeRoles.Inventory ? "Spike.Host" : "Spike.Api";
        var info = new ProcessStartInfo("dotnet", Path.Combine(BuildOutput(project), project + ".dll"))
        {
            WorkingDirectory = BuildOutput(project),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in node.Environment)
        {
            info.Environment[key] = value;
        }
        var log = Path.Combine(_runDirectory, $"{node.Name}.log");
        var process = StartLogged(info, log);
        return new ClusterNode(node.Kind, node.HttpPort, node.AkkaPort, node.CommandPort, node.Weight, process, log);
    }

    private async Task StartNginxAsync()
    {
        var config = Path.Combine(_runDirectory, "nginx", "nginx.conf");
        var render = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, "nginx", "render.sh"), "--test", config, Path.Combine(_runDirectory, "nginx")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        render.Environment["SPIKE_NGINX_PORT"] = NginxPort.ToString(CultureInfo.InvariantCulture);
        render.Environment["SPIKE_API_PORTS"] = string.Join(' ', ApiNodes.Select(n => n.HttpPort));
        render.Environment["SPIKE_API_WEIGHTS"] = string.Join(' ', ApiNodes.Select(n => n.Weight));
        render.Environment["SPIKE_NGINX_DAEMON"] = "off";
        // the specs count each node's answers by the address nginx adds
        render.Environment["SPIKE_NGINX_UPSTREAM_HEADER"] = "on";
        using (var rendering = Process.Start(render)!)
        {
            var output = await rendering.StandardError.ReadToEndAsync() + await rendering.StandardOutput.ReadToEndAsync();
            await rendering.WaitForExitAsync();
            Assert.True(rendering.ExitCode == 0, $"nginx/render.sh --test failed (nginx -t): {output}");
        }
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        _nginx = StartLogged(
            new ProcessStartInfo(nginx, ["-c", config, "-p", Path.Combine(_runDirectory, "nginx") + "/", "-e", Path.Combine(_runDirectory, "nginx", "error.log")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
            Path.Combine(_runDirectory, "nginx.log"));
        Nginx = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 200 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{NginxPort}"),
            Timeout = TimeSpan.FromSeconds(15),
        };
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await Nginx.GetAsync("/ping")).StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "nginx did not answer /ping");
    }

    private Process StartLogged(ProcessStartInfo info, string log)
    {
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        _processes.Add(process);
        var writer = new StreamWriter(log, append: true, Encoding.UTF8) { AutoFlush = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    writer.WriteLine(line);
                }
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Creates a sale through the first API node's own port: nginx does not serve the admin API.</summary>
    public async Task<string> CreateSaleAsync(long stock, int paymentWindowSeconds = 300)
    {
        using var node = new HttpClient { BaseAddress = new Uri(ApiNodes[0].Url), Timeout = TimeSpan.FromSeconds(15) };
        return await Admin.CreateSaleAsync(node, stock, prefix: "p", paymentWindowSeconds: paymentWindowSeconds);
    }

    /// <summary>The last lines of every node's log, for a failure message.</summary>
    public string Logs() => string.Join("\n", InventoryNodes.Concat(ApiNodes).Select(n =>
        $"--- {n.Role} {n.HttpPort} ---\n" + string.Join('\n', File.ReadLines(n.Log).TakeLast(15))));

    public async ValueTask DisposeAsync()
    {
        Nginx?.Dispose();
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        foreach (var process in _processes)
        {
            process.Dispose();
        }
    }

    /// <summary>The project's own output for the configuration the tests were built in (building the tests builds it).</summary>
    public static string BuildOutput(string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/<Configuration>/net10.0/
        var output = Path.Combine(Repository.Root, project, "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(output, project + ".dll"))
            ? output
            : throw new InvalidOperationException($"{project} is not built at {output}");
    }
}

public sealed record ClusterNode(string Role, int HttpPort, int AkkaPort, int CommandPort, int Weight, Process Process, string Log)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public string Url => $"http://127.0.0.1:{HttpPort}";

    /// <summary>The node's cluster address, as members are listed.</summary>
    public string AkkaAddress => $"akka.tcp://spike@127.0.0.1:{AkkaPort}";

    public NodeEndpoint CommandHost => new("127.0.0.1", CommandPort);

    /// <summary>Runs a command on the node's command host with the cluster's token.</summary>
    public Task<CommandResult> RunCommandAsync(string commandLine) =>
        CommandClient.RunToEndAsync(CommandHost, ProcessCluster.CommandToken, commandLine);

    /// <summary>SIGKILL: no leave, no hand-off; the cluster finds out through the failure detector.</summary>
    public void Kill() => Process.Kill();

    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync(Url + "/ready");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        if (Process.HasExited)
        {
            throw new InvalidOperationException($"{Role} node {HttpPort} exited: {string.Join('\n', File.ReadLines(Log).TakeLast(20))}");
        }
        return Poll.UntilAsync(IsReadyAsync, timeout, $"{Role} node {HttpPort} not ready");
    }
}
