using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Spectre.Console;
using Spike.Commands;

namespace Spike.Cli.Local;

/// <summary>Where the node programs are: <c>Spike.Api.dll</c> in <paramref name="Api"/>, <c>Spike.Host.dll</c> in <paramref name="Host"/>.</summary>
public sealed record NodePrograms(string Api, string Host);

/// <summary>A step of <c>spike up</c> failed; what was started has been stopped.</summary>
public sealed class LocalClusterException(string message) : Exception(message);

/// <summary>
/// The cluster on this host: Redis, the inventory nodes (the seeds), the API nodes and nginx in front, as
/// <see cref="Topology"/> plans them, run from the builds in <c>.run/publish</c> and recorded in <c>.run/state.json</c>.
/// Every process is started detached (it outlives the tool) and bound to <see cref="TopologySettings.Host"/>.
/// </summary>
/// <param name="built">Programs built already (tests run their own build); null: published from the repository.</param>
public sealed class LocalCluster(RunDirectory run, IAnsiConsole console, NodePrograms? built = null) : IDisposable
{
    /// <summary>How long a node has to leave the cluster and stop, and then to stop after SIGTERM, before the next step.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan RedisAnswerTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long a gone process's ports may stay taken before a restart gives up on them.</summary>
    private static readonly TimeSpan PortReleaseTimeout = TimeSpan.FromSeconds(10);

    private readonly Readiness _readiness = new();

    /// <summary>The processes this tool started, for their exit codes (a process started by another run has none).</summary>
    private readonly Dictionary<int, Process> _started = [];

    public RunDirectory Run => run;

    /// <summary>
    /// Brings the cluster up. A running one is reused as it is; one with processes that died gets those restarted on their
    /// ports; otherwise everything is built and started from the environment's settings.
    /// </summary>
    /// <exception cref="LocalClusterException">A step failed; the message says which and where its log is.</exception>
    public async Task<RunState> UpAsync(CancellationToken cancel = default)
    {
        if (RunState.Load(run) is { } existing)
        {
            var dead = existing.Processes.Where(p => !LocalProcesses.IsRunning(p)).ToArray();
            if (dead.Length == 0)
            {
                console.MarkupLine("Spike is already up (started with the configuration in .run/state.json); reusing it.");
                WarnIfFsyncDiffers(existing);
                return existing;
            }
            if (dead.Length < existing.Processes.Count)
            {
                console.MarkupLineInterpolated(
                    $"Spike is partly running ({existing.Processes.Count - dead.Length} of {existing.Processes.Count} processes alive; configuration from .run/state.json).");
                return await RestartAsync(existing, dead, cancel);
            }
            RunState.Delete(run);
        }
        return await StartAsync(LocalSettings.FromEnvironment(), cancel);
    }

    /// <summary>Builds and starts a new cluster with these settings (nothing of this run directory may be running).</summary>
    /// <exception cref="LocalClusterException">A step failed; what was started has been stopped.</exception>
    public async Task<RunState> StartAsync(LocalSettings settings, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(run.Logs);
        settings = settings with
        {
            Topology = settings.Topology with
            {
                AdminToken = Token(settings.Topology.AdminToken, run.AdminTokenFile, "admin token"),
                CommandToken = Token(settings.Topology.CommandToken, run.CommandTokenFile, "command host token"),
            },
        };
        var topology = Plan(settings);
        RefuseBusyPorts(settings, topology);

        if (built is null)
        {
            await File.WriteAllTextAsync(run.BuildLog, "", cancel);
            await PublishAsync(Path.Combine("Spike.Api", "Spike.Api.csproj"), "api", settings.BuildConfiguration, cancel);
            if (topology.Nodes.Any(n => n.Kind == NodeRoles.Inventory))
            {
                await PublishAsync(Path.Combine("Spike.Host", "Spike.Host.csproj"), "host", settings.BuildConfiguration, cancel);
            }
        }

        var state = new RunState { Settings = settings, BuildCommit = await BuildCommitAsync(cancel) };
        state.Save(run);
        try
        {
            state = await StartRedisAsync(state, cancel);
            // The first seed forms the cluster: it starts alone and must be ready before the rest join through it.
            var first = topology.Nodes[0];
            Step($"starting the first seed ({first.AkkaAddress})");
            state = Record(state, StartNode(first));
            await WaitReadyAsync(state, cancel);
            if (topology.Nodes.Count > 1)
            {
                Step($"starting the other nodes (seeds: {string.Join(' ', topology.Seeds)})");
                foreach (var node in topology.Nodes.Skip(1))
                {
                    state = Record(state, StartNode(node));
                }
                await WaitReadyAsync(state, cancel);
            }
            state = Record(state, await StartNginxAsync(state, cancel));
            await WaitReadyAsync(state, cancel);
            return state;
        }
        catch (LocalClusterException)
        {
            await StopAllAsync(state, graceful: false);
            throw;
        }
    }

    /// <summary>Restarts the recorded processes that are gone (e.g. nodes the demo killed), on their own ports.</summary>
    private async Task<RunState> RestartAsync(RunState state, RunProcess[] dead, CancellationToken cancel)
    {
        if (dead.FirstOrDefault(p => p.Kind == ProcessKinds.Redis) is { } redis)
        {
            throw new LocalClusterException($"Redis (pid {redis.Pid}) is not running: spike down && spike up");
        }
        var topology = state.Topology;
        var host = topology.Settings.Host;
        var ports = dead.SelectMany(p => p.Kind == ProcessKinds.Nginx
                ? [(p.Port, p.Name)]
                : new[] { (p.Port, p.Name), (Node(topology, p).AkkaPort, $"akka of {p.Name}"), (Node(topology, p).CommandPort, $"command host of {p.Name}") })
            .ToArray();
        // A process just killed is a zombie before its other threads have exited and closed its sockets: its ports are
        // released a moment after it counts as gone.
        var clock = Stopwatch.StartNew();
        string[] busy;
        while ((busy = [.. ports.Where(port => Readiness.IsPortBusy(host, port.Item1)).Select(port => $"{port.Item1} ({port.Item2})")]).Length > 0)
        {
            if (clock.Elapsed > PortReleaseTimeout)
            {
                throw new LocalClusterException($"cannot restart: ports in use on {host}: {string.Join(", ", busy)}");
            }
            await Task.Delay(100, cancel);
        }
        Step($"restarting {dead.Length} process(es) that are not running (their earlier logs are kept as <log>.1)");
        foreach (var process in dead)
        {
            if (File.Exists(process.Log))
            {
                File.Move(process.Log, process.Log + ".1", overwrite: true);
            }
            var restarted = process.Kind == ProcessKinds.Nginx ? await StartNginxAsync(state, cancel) : StartNode(Node(topology, process));
            state = Record(state, restarted);
        }
        await WaitReadyAsync(state, cancel);
        return state;
    }

    /// <summary>
    /// Stops the cluster: each node leaves it first (<c>cluster leave</c> through its command host: the API nodes at once,
    /// then the inventory nodes one by one, so shards and singletons hand over), then nginx and Redis get SIGTERM. A
    /// process still running after its grace gets SIGTERM, then SIGKILL as the last resort.
    /// </summary>
    public async Task<bool> DownAsync()
    {
        if (RunState.Load(run) is not { } state)
        {
            console.MarkupLine("nothing to stop (no .run/state.json)");
            return false;
        }
        await StopAllAsync(state, graceful: true);
        console.MarkupLine("Spike is down (logs kept in .run/logs, Redis data in .run/redis).");
        return true;
    }

    private async Task StopAllAsync(RunState state, bool graceful)
    {
        var running = state.Processes.Where(LocalProcesses.IsRunning).ToArray();
        if (graceful && state.Settings.Topology.CommandToken is { } token)
        {
            var topology = state.Topology;
            await Task.WhenAll(running.Where(p => p.Kind == ProcessKinds.Api).Select(p => LeaveAsync(topology, p, token)));
            foreach (var inventory in running.Where(p => p.Kind == ProcessKinds.Inventory).Reverse())
            {
                await LeaveAsync(topology, inventory, token);
            }
        }
        foreach (var process in running.Reverse().Where(LocalProcesses.IsRunning))
        {
            await StopAsync(process);
        }
        RunState.Delete(run);
    }

    private async Task LeaveAsync(Topology topology, RunProcess process, string token)
    {
        var node = Node(topology, process);
        var result = await CommandClient.RunToEndAsync(new NodeEndpoint(node.Host, node.CommandPort), token, "cluster leave", StopGrace);
        if (result.ExitCode == CommandExitCodes.Ok && await LocalProcesses.WaitForExitAsync(process, StopGrace))
        {
            console.MarkupLineInterpolated($"{process.Name} (pid {process.Pid}) left the cluster and stopped");
        }
        else if (result.Errors.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]{process.Name}: cluster leave: {string.Join(' ', result.Errors)}[/]");
        }
    }

    private async Task StopAsync(RunProcess process)
    {
        console.MarkupLineInterpolated($"stopping {process.Name} (pid {process.Pid})");
        LocalProcesses.Terminate(process);
        if (!await LocalProcesses.WaitForExitAsync(process, StopGrace))
        {
            console.MarkupLineInterpolated($"[yellow]{process.Name} (pid {process.Pid}) did not stop within {StopGrace.TotalSeconds:0} s; sending SIGKILL[/]");
            LocalProcesses.Kill(process);
            await LocalProcesses.WaitForExitAsync(process, StopGrace);
        }
    }

    private static Topology Plan(LocalSettings settings)
    {
        Topology topology;
        try
        {
            topology = Topology.Plan(settings.Topology);
        }
        catch (ArgumentException e)
        {
            throw new LocalClusterException($"the node plan refuses this configuration: {e.Message}");
        }
        var nodePorts = topology.Nodes.SelectMany(n => new[] { n.HttpPort, n.AkkaPort, n.CommandPort }).Append(settings.Topology.NginxPort);
        if (nodePorts.Contains(settings.RedisPort))
        {
            throw new LocalClusterException($"SPIKE_REDIS_PORT {settings.RedisPort} is also a port of the node plan (spike topology lists them)");
        }
        return topology;
    }

    private static void RefuseBusyPorts(LocalSettings settings, Topology topology)
    {
        var host = settings.Topology.Host;
        var wanted = new List<(int Port, string What)>
        {
            (settings.RedisPort, "redis; set SPIKE_REDIS_PORT"),
            (settings.Topology.NginxPort, "nginx; set SPIKE_NGINX_PORT"),
        };
        foreach (var node in topology.Nodes)
        {
            wanted.Add((node.HttpPort, $"http of {node.Name}; set SPIKE_API_PORTS / SPIKE_INVENTORY_BASE_PORT"));
            wanted.Add((node.AkkaPort, $"akka remoting of {node.Name}; set SPIKE_AKKA_BASE_PORT"));
            wanted.Add((node.CommandPort, $"command host of {node.Name}; set SPIKE_COMMAND_BASE_PORT"));
        }
        var busy = wanted.Where(w => Readiness.IsPortBusy(host, w.Port)).Select(w => $"{w.Port} ({w.What})").ToArray();
        if (busy.Length > 0)
        {
            throw new LocalClusterException($"ports already in use on {host}: {string.Join(", ", busy)}");
        }
    }

    /// <summary>The environment's token, else the last run's (its file), else a new random one; saved for the next commands.</summary>
    private string Token(string? fromEnvironment, string file, string what)
    {
        var token = fromEnvironment
            ?? (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } saved ? saved : null);
        if (token is null)
        {
            token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            console.MarkupLineInterpolated($"generated {what} (saved in .run/{Path.GetFileName(file)})");
        }
        File.WriteAllText(file, token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return token;
    }

    /// <summary>
    /// dotnet publish of a project of the repository into an emptied <c>.run/publish/&lt;folder&gt;</c>, its output appended to the
    /// build log. Emptied first: publish skips a file whose copy in the folder is newer, so a library an earlier build left there
    /// (another version, from a package since changed) would stay and fail at run time.
    /// </summary>
    /// <exception cref="LocalClusterException">The build failed; the message has its errors.</exception>
    public async Task PublishAsync(string projectFile, string folder, string configuration, CancellationToken cancel)
    {
        var project = Path.GetFileNameWithoutExtension(projectFile);
        if (Directory.Exists(run.Publish(folder)))
        {
            Directory.Delete(run.Publish(folder), recursive: true);
        }
        var exitCode = await ProgressAsync(
            $"building {project} ({configuration}) into .run/publish/{folder} (log: .run/logs/build.log)",
            _ => RunToLogAsync("dotnet", ["publish", projectFile, "-c", configuration, "-o", run.Publish(folder), "--nologo"], run.BuildLog, cancel));
        if (exitCode != 0)
        {
            var errors = File.ReadLines(run.BuildLog).Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().TakeLast(20);
            throw new LocalClusterException($"build of {project} failed:\n{string.Join('\n', errors)}\n(full log: {run.BuildLog})");
        }
    }

    private async Task<string> BuildCommitAsync(CancellationToken cancel)
    {
        var head = new StringWriter();
        if (await RunAsync("git", ["rev-parse", "--short", "HEAD"], head, cancel) != 0)
        {
            return "unknown";
        }
        var dirty = await RunAsync("git", ["diff", "--quiet", "HEAD", "--"], TextWriter.Null, cancel) != 0;
        return head.ToString().Trim() + (dirty ? "+dirty" : "");
    }

    private async Task<RunState> StartRedisAsync(RunState state, CancellationToken cancel)
    {
        var settings = state.Settings;
        var host = settings.Topology.Host;
        Directory.CreateDirectory(run.Redis);
        Step($"starting redis-server on {host}:{settings.RedisPort} (AOF on, appendfsync {settings.RedisFsync}, data in .run/redis)");
        var redis = Start(ProcessKinds.Redis, ProcessKinds.Redis, settings.RedisPort, run.Redis,
            ["redis-server", "--bind", host, "--port", Number(settings.RedisPort), "--protected-mode", "yes",
             "--dir", run.Redis, "--appendonly", "yes", "--appendfsync", settings.RedisFsync, "--save", "",
             "--daemonize", "no", "--logfile", ""], []);
        state = Record(state, redis);
        // It must answer soon; while it reads a large append-only file (LOADING) it gets longer.
        var clock = Stopwatch.StartNew();
        var deadline = RedisAnswerTimeout;
        await ProgressAsync("waiting for Redis to answer PING", async status =>
        {
            while (true)
            {
                var answer = await Readiness.PingRedisAsync(host, settings.RedisPort, cancel);
                if (answer == ReadyAnswer.Ready)
                {
                    return;
                }
                FailIfExited(redis);
                if (answer == ReadyAnswer.Loading && deadline == RedisAnswerTimeout)
                {
                    deadline = clock.Elapsed + settings.RedisLoadTimeout;
                    status($"Redis is loading its data set from .run/redis (up to {settings.RedisLoadTimeout.TotalSeconds:0} s)");
                }
                if (clock.Elapsed > deadline)
                {
                    throw Failure($"redis was not ready in time (last answer to PING: {answer})", redis);
                }
                await Task.Delay(200, cancel);
            }
        });
        return state;
    }

    private RunProcess StartNode(TopologyNode node)
    {
        var programs = built ?? new NodePrograms(run.Publish("api"), run.Publish("host"));
        var (directory, assembly) = node.Kind == NodeRoles.Inventory ? (programs.Host, "Spike.Host.dll") : (programs.Api, "Spike.Api.dll");
        var process = Start(node.Name, node.Kind, node.HttpPort, directory, ["dotnet", assembly], node.Environment);
        console.MarkupLineInterpolated(
            $"    {node.Name}: pid {process.Pid}, http {node.Host}:{node.HttpPort}, akka {node.Host}:{node.AkkaPort}, roles {string.Join(',', node.Roles)}, command host {node.Host}:{node.CommandPort}");
        return process;
    }

    /// <summary>Renders nginx/spike.conf.template (nginx/render.sh, checked with nginx -t) and starts nginx in the foreground.</summary>
    private async Task<RunProcess> StartNginxAsync(RunState state, CancellationToken cancel)
    {
        var topology = state.Settings.Topology;
        Step($"starting nginx on {topology.Host}:{topology.NginxPort}: weighted round-robin over API ports ({string.Join(' ', topology.ApiPorts)}), weights ({string.Join(' ', topology.EffectiveApiWeights)})");
        var command = await RenderNginxAsync(run.Nginx, Path.Combine(run.Logs, "nginx-render.log"),
            topology.Host, topology.NginxPort, topology.ApiPorts, topology.EffectiveApiWeights,
            state.Settings.NginxUpstreamHeader, state.Settings.NginxAdmin, cancel);
        var process = Start(ProcessKinds.Nginx, ProcessKinds.Nginx, topology.NginxPort, run.Nginx, command, []);
        console.MarkupLineInterpolated($"    nginx: pid {process.Pid}, http {topology.Host}:{topology.NginxPort} (config .run/nginx/nginx.conf, errors .run/nginx/error.log)");
        return process;
    }

    /// <summary>
    /// Renders nginx/spike.conf.template into <paramref name="directory"/>/nginx.conf (nginx/render.sh, checked with nginx -t):
    /// weighted round-robin on <paramref name="port"/> over <paramref name="apiPorts"/>. Returns the command that runs that
    /// nginx in the foreground, its prefix and error log in <paramref name="directory"/>.
    /// </summary>
    /// <param name="upstreamHeader">nginx adds X-Spike-Upstream (the node that answered) to every answer</param>
    /// <param name="adminOnPublicPort">nginx passes /admin/ to the nodes on <paramref name="port"/> (otherwise refuses it there)</param>
    /// <exception cref="LocalClusterException">nginx is missing, or the configuration does not pass nginx -t.</exception>
    public async Task<IReadOnlyList<string>> RenderNginxAsync(string directory, string renderLog, string host, int port,
        IEnumerable<int> apiPorts, IEnumerable<int> weights, bool upstreamHeader, bool adminOnPublicPort, CancellationToken cancel)
    {
        var nginx = NginxBinary();
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(renderLog, "");
        var rendered = await RunToLogAsync("bash", [Path.Combine(run.Repository, "nginx", "render.sh"), "--test", config, directory], renderLog, cancel,
            new Dictionary<string, string>
            {
                ["PATH"] = $"{Path.GetDirectoryName(nginx)}:{Environment.GetEnvironmentVariable("PATH")}",
                ["SPIKE_NGINX_PORT"] = Number(port),
                ["SPIKE_API_PORTS"] = string.Join(' ', apiPorts),
                ["SPIKE_API_WEIGHTS"] = string.Join(' ', weights),
                ["SPIKE_API_HOST"] = host,
                ["SPIKE_NGINX_DAEMON"] = "off",
                ["SPIKE_NGINX_UPSTREAM_HEADER"] = upstreamHeader ? "on" : "off",
                ["SPIKE_NGINX_ADMIN"] = adminOnPublicPort ? "allow" : "deny",
            });
        if (rendered != 0)
        {
            throw new LocalClusterException($"nginx/render.sh --test failed:\n{LocalProcesses.Tail(renderLog, 20)}");
        }
        return [nginx, "-c", config, "-p", directory + "/", "-e", Path.Combine(directory, "error.log")];
    }

    private static string NginxBinary() =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Append("/usr/sbin").Select(dir => Path.Combine(dir, "nginx")).FirstOrDefault(File.Exists)
        ?? throw new LocalClusterException("nginx is not installed (sudo apt-get install -y nginx)");

    private RunProcess Start(string name, string kind, int port, string directory, IReadOnlyList<string> command,
        IEnumerable<KeyValuePair<string, string>> environment)
    {
        var log = run.LogOf(name);
        File.WriteAllText(log, "");
        var process = LocalProcesses.StartDetached(directory, log, command, environment);
        _started[process.Id] = process;
        // -1 when it already exited: it then never counts as running
        return new RunProcess(name, kind, process.Id, LocalProcesses.StartTime(process.Id) ?? -1, port, log);
    }

    /// <summary>The state with this process recorded (replacing an earlier one of the same name), in start order, saved.</summary>
    private RunState Record(RunState state, RunProcess process)
    {
        var order = new List<string> { ProcessKinds.Redis };
        order.AddRange(state.Topology.Nodes.Select(n => n.Name));
        order.Add(ProcessKinds.Nginx);
        var updated = state with
        {
            Processes = [.. state.Processes.Where(p => p.Name != process.Name).Append(process).OrderBy(p => order.IndexOf(p.Name))],
        };
        updated.Save(run);
        return updated;
    }

    /// <summary>Every recorded node and nginx answers its readiness check; a process that exits, or the deadline, fails.</summary>
    private async Task WaitReadyAsync(RunState state, CancellationToken cancel)
    {
        var timeout = state.Settings.ReadyTimeout;
        var waiting = state.Processes.Where(p => p.Kind != ProcessKinds.Redis).ToArray();
        var clock = Stopwatch.StartNew();
        await ProgressAsync("waiting for readiness", async status =>
        {
            while (true)
            {
                var answers = await Task.WhenAll(waiting.Select(p => _readiness.ProbeAsync(state.Settings.Topology.Host, p, cancel)));
                var ready = answers.Count(a => a == ReadyAnswer.Ready);
                if (ready == waiting.Length)
                {
                    return;
                }
                foreach (var process in waiting)
                {
                    FailIfExited(process);
                }
                if (clock.Elapsed > timeout)
                {
                    var report = waiting.Zip(answers).Where(x => x.Second != ReadyAnswer.Ready)
                        .Select(x => $"--- {x.First.Name}: ready = {Readiness.Label(x.First, x.Second)}; last lines of {x.First.Log} ---\n{LocalProcesses.Tail(x.First.Log, 30)}");
                    throw new LocalClusterException(
                        $"{string.Join('\n', report)}\nnot ready after {timeout.TotalSeconds:0} s (logs above and in {run.Logs}; everything started was stopped)");
                }
                status($"waiting for readiness: {ready} of {waiting.Length} ready (/ready of every node, nginx's /nginx/healthz; {clock.Elapsed.TotalSeconds:0} s of up to {timeout.TotalSeconds:0} s)");
                await Task.Delay(500, cancel);
            }
        });
        Step($"ready: {string.Join(", ", waiting.Select(p => p.Name))} ({clock.Elapsed.TotalSeconds:0.0} s)");
    }

    private void FailIfExited(RunProcess process)
    {
        if (!LocalProcesses.IsRunning(process))
        {
            throw Failure($"{process.Name} (pid {process.Pid}) exited{ExitCode(process)} before it became ready", process);
        }
    }

    private static LocalClusterException Failure(string message, RunProcess process) =>
        new($"--- last lines of {process.Log} ---\n{LocalProcesses.Tail(process.Log, 40)}\n{message} (log above; everything started was stopped)");

    private string ExitCode(RunProcess process) =>
        _started.TryGetValue(process.Pid, out var started) && started.WaitForExit(TimeSpan.FromSeconds(1))
            ? $" with code {started.ExitCode}"
            : "";

    private static TopologyNode Node(Topology topology, RunProcess process) =>
        topology.Nodes.FirstOrDefault(n => n.Name == process.Name)
        ?? throw new LocalClusterException($"{process.Name} is not in the node plan of .run/state.json: spike down && spike up");

    /// <summary>A running cluster is reused as it is: say so when the environment asks for another fsync mode than it runs with.</summary>
    private void WarnIfFsyncDiffers(RunState state)
    {
        var wanted = Environment.GetEnvironmentVariable("SPIKE_REDIS_FSYNC");
        if (string.IsNullOrEmpty(wanted) || wanted == state.Settings.RedisFsync)
        {
            return;
        }
        console.MarkupLineInterpolated(
            $"[yellow]SPIKE_REDIS_FSYNC={wanted}, but the running Redis has appendfsync {state.Settings.RedisFsync}; it applies from the next start (spike down && spike up)[/]");
    }

    /// <summary>
    /// A step that takes a while: on a terminal a live status line the step updates (a spinner), else (a script or a log
    /// reads the output) its first text once.
    /// </summary>
    private async Task<T> ProgressAsync<T>(string text, Func<Action<string>, Task<T>> step)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            Step(text);
            return await step(_ => { });
        }
        var result = await console.Status().StartAsync(Markup.Escape(text), context => step(update => context.Status(Markup.Escape(update))));
        Step(text);
        return result;
    }

    private async Task ProgressAsync(string text, Func<Action<string>, Task> step) =>
        await ProgressAsync(text, async update =>
        {
            await step(update);
            return true;
        });

    private void Step(string text) => console.MarkupLineInterpolated($"==> {text}");

    /// <summary>Runs a program to its end, its output (both streams) appended to <paramref name="log"/>; returns its exit code.</summary>
    /// <param name="directory">its working directory; null: the repository</param>
    public async Task<int> RunToLogAsync(string program, IReadOnlyList<string> arguments, string log, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null, string? directory = null)
    {
        await using var writer = new StreamWriter(log, append: true);
        return await RunAsync(program, arguments, writer, cancel, environment, directory);
    }

    /// <summary>Runs a program (in the repository unless <paramref name="directory"/> says otherwise) to its end, its output (both streams) into <paramref name="output"/>.</summary>
    public async Task<int> RunAsync(string program, IReadOnlyList<string> arguments, TextWriter output, CancellationToken cancel,
        IReadOnlyDictionary<string, string>? environment = null, string? directory = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory ?? run.Repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new LocalClusterException($"could not start {program}");
        var gate = new object();
        void Copy(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    output.WriteLine(e.Data);
                }
            }
        }
        process.OutputDataReceived += Copy;
        process.ErrorDataReceived += Copy;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancel);
        return process.ExitCode;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _readiness.Dispose();
        foreach (var process in _started.Values)
        {
            process.Dispose();
        }
    }
}
