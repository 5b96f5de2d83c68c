using System.Net;
using Spectre.Console;
using Spike.Cli.Local;
using Spike.Commands;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Cli;

/// <summary>
/// <c>spike up</c>, <c>status</c> and <c>down</c> with real processes: Redis, a node and nginx started detached on free
/// ports, the run's files in a temporary directory, the nodes from this test run's build.
/// </summary>
public sealed class LocalClusterSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("spike-local-").FullName;
    private readonly StringWriter _output = new();
    private readonly RunDirectory _run;
    private readonly LocalCluster _cluster;

    public LocalClusterSpecs()
    {
        _run = new RunDirectory(Repository.Root, _root);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_output), Ansi = AnsiSupport.No });
        _cluster = new LocalCluster(_run, console, new NodePrograms(ProcessCluster.BuildOutput("Spike.Api"), ProcessCluster.BuildOutput("Spike.Host")));
    }

    [Fact]
    public async Task Should_run_restart_and_stop_every_process_when_up_is_followed_by_a_kill_and_down()
    {
        // arrange: one node with both roles behind nginx
        var state = await _cluster.StartAsync(Settings());
        Assert.Equal([ProcessKinds.Redis, ProcessKinds.Api, ProcessKinds.Nginx], state.Processes.Select(p => p.Kind));
        Assert.All(state.Processes, p => Assert.True(LocalProcesses.IsRunning(p), $"{p.Name} is not running"));
        var token = state.Settings.Topology.CommandToken!;
        Assert.DoesNotContain(token, File.ReadAllText(_run.State));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using (var ping = await http.GetAsync($"http://127.0.0.1:{state.Settings.Topology.NginxPort}/ping"))
        {
            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        }
        var node = state.Topology.Nodes[0];
        var members = await CommandClient.RunToEndAsync(new NodeEndpoint(node.Host, node.CommandPort), token, "cluster show");
        Assert.Contains(members.Output, line => line.StartsWith(node.AkkaAddress, StringComparison.Ordinal) && line.Contains("| up |", StringComparison.Ordinal));

        // act: the node is killed, up runs again
        var killed = state.Processes.Single(p => p.Kind == ProcessKinds.Api);
        LocalProcesses.Kill(killed);
        Assert.True(await LocalProcesses.WaitForExitAsync(killed, TimeSpan.FromSeconds(10)));
        var restarted = await _cluster.UpAsync();

        // assert: a new process on the same port, the others untouched
        var again = restarted.Processes.Single(p => p.Kind == ProcessKinds.Api);
        Assert.NotEqual(killed.Pid, again.Pid);
        Assert.Equal(killed.Port, again.Port);
        Assert.True(LocalProcesses.IsRunning(again));
        Assert.Equal(state.Processes.Where(p => p != killed).Select(p => p.Pid), restarted.Processes.Where(p => p.Kind != ProcessKinds.Api).Select(p => p.Pid));
        Assert.True(File.Exists(killed.Log + ".1"), "the killed node's log is kept");

        // act: down
        Assert.True(await _cluster.DownAsync());

        // assert: the node left the cluster before it stopped, nothing runs, nothing is recorded
        Assert.Contains($"{again.Name} (pid {again.Pid}) left the cluster and stopped", _output.ToString(), StringComparison.Ordinal);
        Assert.All(restarted.Processes, p => Assert.False(LocalProcesses.IsRunning(p), $"{p.Name} still runs"));
        Assert.Null(RunState.Load(_run));
    }

    [Fact]
    public async Task Should_stop_what_it_started_and_show_the_log_when_a_node_exits_before_it_is_ready()
    {
        // arrange: a node setting it cannot start with
        var settings = Settings(nodeEnvironment: ["Spike__Node__Port=not-a-port"]);

        // act
        var failure = await Assert.ThrowsAsync<LocalClusterException>(() => _cluster.StartAsync(settings));

        // assert: the message names the node and its exit, Redis was stopped again, nothing is recorded
        Assert.Contains("exited with code", failure.Message, StringComparison.Ordinal);
        Assert.Contains("last lines of", failure.Message, StringComparison.Ordinal);
        Assert.False(Readiness.IsPortBusy("127.0.0.1", settings.RedisPort), "Redis still runs");
        Assert.Null(RunState.Load(_run));
    }

    [Fact]
    public async Task Should_refuse_to_start_when_a_port_of_the_plan_is_taken()
    {
        // arrange: something listens on the nginx port
        var settings = Settings();
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, settings.Topology.NginxPort);
        squatter.Start();

        // act
        var failure = await Assert.ThrowsAsync<LocalClusterException>(() => _cluster.StartAsync(settings));

        // assert: nothing was started
        Assert.Contains($"{settings.Topology.NginxPort} (nginx", failure.Message, StringComparison.Ordinal);
        Assert.Null(RunState.Load(_run));
        Assert.False(Readiness.IsPortBusy("127.0.0.1", settings.RedisPort));
    }

    private static LocalSettings Settings(IReadOnlyList<string>? nodeEnvironment = null)
    {
        var redis = FreePort.Next();
        return new LocalSettings
        {
            Topology = new TopologySettings
            {
                InventoryNodes = 0,
                ApiPorts = [FreePort.Next()],
                AkkaPorts = [FreePort.Next()],
                CommandPorts = [FreePort.Next()],
                NginxPort = FreePort.Next(),
                Redis = $"127.0.0.1:{redis}",
                NodeEnvironment = nodeEnvironment ?? [],
            },
            RedisPort = redis,
            RedisFsync = RedisFsync.EverySecond,
            ReadyTimeout = TimeSpan.FromSeconds(90),
        };
    }

    public void Dispose()
    {
        // whatever a failed test left running
        if (RunState.Load(_run) is { } state)
        {
            foreach (var process in state.Processes)
            {
                LocalProcesses.Kill(process);
            }
        }
        _cluster.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
