using System.Diagnostics;
using System.Globalization;
using Spike.Cli.Demo;
using Spike.Cli.Local;
using StackExchange.Redis;

namespace Spike.Cli.Bench;

/// <summary>The bench cannot go on; the message says why, and where the raw output is when there is some.</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary>
/// One bench on the running local cluster: its run id and folder (<c>.run/bench/&lt;run-id&gt;/</c>), its clients (the admin
/// API, Redis, plain HTTP for the buys it sends itself), the wrk runs with their CPU accounting, and what every bench does
/// at its end (the table, the report, removing its keys).
/// </summary>
internal sealed class BenchSession : IAsyncDisposable
{
    private static readonly TimeSpan OrderFeedPatience = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan OrderFeedPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A bench sale's payment window: the bench's orders are never paid, and must not expire during it (expiring the
    /// orders of one run would load the runs after it). A cluster bench takes about ten minutes.
    /// </summary>
    private const int PaymentWindowSeconds = 3600;

    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private bool _dataRemoved;

    private BenchSession(LocalCluster cluster, RunState state, BenchSettings settings, string runId, bool startedByUs,
        AdminClient admin, ConnectionMultiplexer redis, TextWriter output, TextWriter errors)
    {
        Cluster = cluster;
        State = state;
        Settings = settings;
        RunId = runId;
        StartedByUs = startedByUs;
        Admin = admin;
        Redis = redis;
        _output = output;
        _errors = errors;
        Directory = Path.Combine(cluster.Run.Root, "bench", runId);
        System.IO.Directory.CreateDirectory(Directory);
        var topology = state.Settings.Topology;
        Host = topology.Host;
        Nginx = $"http://{Host}:{topology.NginxPort}";
    }

    public LocalCluster Cluster { get; }

    public RunState State { get; }

    public BenchSettings Settings { get; }

    /// <summary>b&lt;unix seconds&gt; (node), c&lt;unix seconds&gt; (cluster) or o&lt;unix seconds&gt; (overload): every sale and user of the bench starts with it.</summary>
    public string RunId { get; }

    /// <summary>The cluster was not up: the bench brought it up (and leaves it up).</summary>
    public bool StartedByUs { get; }

    /// <summary>The raw output: a <c>&lt;label&gt;.out</c> per wrk run, <c>table.txt</c>.</summary>
    public string Directory { get; }

    public string Host { get; }

    /// <summary>The cluster's entry point, nginx: http://host:port.</summary>
    public string Nginx { get; }

    public AdminClient Admin { get; }

    public ConnectionMultiplexer Redis { get; }

    /// <summary>The buys the bench sends itself (replays, the sold-out buys): 30 s each at most.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The process groups whose CPU each run's CPU line shows, in its order.</summary>
    public IReadOnlyList<CpuGroup> Groups { get; set; } = [];

    public static async Task<BenchSession> OpenAsync(LocalCluster cluster, RunState state, BenchSettings settings, string runPrefix,
        bool startedByUs, TextWriter output, TextWriter errors)
    {
        var options = ConfigurationOptions.Parse(state.Settings.Topology.Redis);
        options.AllowAdmin = true; // CONFIG GET appendfsync
        options.ConnectTimeout = 5_000;
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var runId = runPrefix + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new BenchSession(cluster, state, settings, runId, startedByUs, AdminClient.For(state), redis, output, errors);
    }

    public void Step(string text) => _output.WriteLine("==> " + text);

    public void Say(string text) => _output.WriteLine(text);

    public void Warn(string text) => _errors.WriteLine("spike: warning: " + text);

    public string OutputOf(string label) => Path.Combine(Directory, label + WrkRun.FileExtension);

    /// <summary>The recorded process of a kind, its port the given one when there is one.</summary>
    public RunProcess? Process(string kind, int? port = null) =>
        State.Processes.FirstOrDefault(p => p.Kind == kind && (port is null || p.Port == port));

    /// <summary>nginx's processes: its master and workers.</summary>
    public IReadOnlyList<int> NginxPids() => Process(ProcessKinds.Nginx) is { } nginx ? ProcessTicks.WithChildren(nginx.Pid) : [];

    public Task CreateSaleAsync(string sale, int stock, CancellationToken cancel) =>
        Admin.CreateSaleAsync(sale, stock, PaymentWindowSeconds, cancel);

    /// <exception cref="BenchException">the admin API did not answer 200</exception>
    public async Task<SaleView> SaleAsync(string sale, CancellationToken cancel) =>
        await Admin.ReadSaleAsync(sale, cancel) ?? throw new BenchException($"GET /admin/sales/{sale} did not answer 200");

    /// <summary>
    /// Waits (up to 300 s) until the order feed has created every order of the sales; the seconds it took, or "timeout"
    /// (with a warning) when it did not catch up.
    /// </summary>
    public async Task<string> WaitOrdersAsync(CancellationToken cancel, params string[] sales)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            long lag = 0;
            foreach (var sale in sales)
            {
                lag += (await SaleAsync(sale, cancel)).OrderLag;
            }
            if (lag == 0)
            {
                return ((int)clock.Elapsed.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
            if (clock.Elapsed >= OrderFeedPatience)
            {
                Warn($"the order feed still had {lag} orders to create after {OrderFeedPatience.TotalSeconds:0} s");
                return "timeout";
            }
            await Task.Delay(OrderFeedPoll, cancel);
        }
    }

    public async Task<RedisCommandCounts> CommandCountsAsync() =>
        RedisCommandCounts.Parse(await Redis.GetServers()[0].InfoRawAsync("commandstats") ?? "");

    /// <summary>The running Redis's appendfsync, "?" when it does not say.</summary>
    public async Task<string> FsyncAsync()
    {
        try
        {
            var config = await Redis.GetServers()[0].ConfigGetAsync("appendfsync");
            return config.Length > 0 ? config[0].Value : "?";
        }
        catch (RedisException)
        {
            return "?";
        }
    }

    /// <summary>
    /// Runs wrk with bench/spike.lua against <paramref name="url"/> (mode buy, buy-track, first or ping), its output in
    /// <c>&lt;label&gt;.out</c> followed by the run's CPU line; then checks that every process of the cluster still runs.
    /// </summary>
    /// <param name="connections">wrk's connections; null: SPIKE_BENCH_CONNECTIONS</param>
    public async Task<WrkRun> WrkAsync(string label, string mode, string sale, int seconds, string url, CancellationToken cancel, int? connections = null)
    {
        var output = OutputOf(label);
        var before = CpuSample.Take(Groups);
        var reaped = ProcessTicks.OfReapedChildren();
        using (var wrk = StartWrk(output, seconds, "spike.lua", url, [mode, sale, $"{RunId}-{label}"], connections))
        {
            await wrk.WaitForExitAsync(cancel);
            // wrk's CPU lands in this tool's children times once it is reaped, which WaitForExitAsync has waited for
            var wrkTicks = ProcessTicks.OfReapedChildren() - reaped;
            var after = CpuSample.Take(Groups);
            if (wrk.ExitCode != 0)
            {
                _errors.Write(await File.ReadAllTextAsync(output, cancel));
                throw new BenchException($"wrk failed ({label})");
            }
            await File.AppendAllTextAsync(output, CpuLine.Format(Groups, before, after, wrkTicks, Environment.ProcessorCount) + "\n", cancel);
        }
        return await FinishRunAsync(label, output, cancel);
    }

    /// <summary>wrk with one of bench/'s scripts, its output (both streams) into <paramref name="output"/>.</summary>
    /// <param name="connections">wrk's connections; null: SPIKE_BENCH_CONNECTIONS</param>
    public Process StartWrk(string output, int seconds, string script, string url, IEnumerable<string> scriptArguments, int? connections = null) =>
        LocalProcesses.StartAttached(Cluster.Run.Repository, output,
        [
            "wrk", $"-t{Settings.Threads}", $"-c{connections ?? Settings.Connections}", $"-d{seconds}s", "--timeout", "5s",
            "-s", Path.Combine(Cluster.Run.Repository, "bench", script), url, "--", .. scriptArguments,
        ]);

    /// <summary>A finished run's output must have its RESULT line, and the cluster must have survived it.</summary>
    public async Task<WrkRun> FinishRunAsync(string label, string output, CancellationToken cancel)
    {
        var text = await File.ReadAllTextAsync(output, cancel);
        if (!text.Split('\n').Any(l => l.StartsWith("RESULT ", StringComparison.Ordinal)))
        {
            _errors.Write(text);
            throw new BenchException($"wrk printed no RESULT line ({label})");
        }
        foreach (var process in State.Processes.Where(p => !LocalProcesses.IsRunning(p)))
        {
            _errors.WriteLine(string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("PENDING ", StringComparison.Ordinal) && !l.StartsWith("RETRY ", StringComparison.Ordinal))));
            _errors.WriteLine($"--- last lines of {process.Log} ---");
            _errors.WriteLine(LocalProcesses.Tail(process.Log, 30));
            if (File.Exists(process.Log) && File.ReadLines(process.Log).Any(l => l.Contains("CLR termination hook", StringComparison.Ordinal)))
            {
                _errors.WriteLine("(the node shut down gracefully: something outside sent it SIGTERM)");
            }
            throw new BenchException($"{process.Name} (pid {process.Pid}) is gone after run '{label}'; no table (raw output in {Directory})");
        }
        return WrkRun.Parse(label, text, output);
    }

    /// <summary>
    /// Retries every buy a buy-track run left without a 200 (answered otherwise, or cut off in flight when wrk stopped)
    /// with the same user and requestId, as a client would; not more than SPIKE_BENCH_REPLAY_MAX of them.
    /// </summary>
    public async Task<ReplayOutcome> ReplayPendingAsync(string label, string sale, string baseUrl, CancellationToken cancel)
    {
        var pending = Replays.Pending(await File.ReadAllTextAsync(OutputOf(label), cancel), $"{RunId}-{label}");
        if (pending.Count > Settings.ReplayMax)
        {
            Warn($"{pending.Count} requests of run '{label}' got no 200 (socket errors?); more than SPIKE_BENCH_REPLAY_MAX={Settings.ReplayMax}, not retrying them: the audit cannot be exact");
            return new ReplayOutcome(pending.Count, 0, pending.Count);
        }
        return await Replays.SendAsync(Http, new Uri(baseUrl), sale, pending, cancel);
    }

    /// <summary>The table's first line: the bench, the date, the machine and the build.</summary>
    public async Task<string> TitleLineAsync(string bench, CancellationToken cancel)
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("model name", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]).FirstOrDefault()
            : null;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").Where(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)).Select(l => l["PRETTY_NAME=".Length..].Trim('"')).FirstOrDefault()
            : null;
        var sdk = new StringWriter();
        var sdkVersion = await Cluster.RunAsync("dotnet", ["--version"], sdk, cancel) == 0 ? sdk.ToString().Trim() : "?";
        return $"{bench} {RunId} — {DateTimeOffset.UtcNow.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {os}, .NET SDK {sdkVersion}, build {State.BuildCommit}";
    }

    /// <summary>The node environment's extra settings as the table names them.</summary>
    public string NodeEnvironment => State.Settings.Topology.NodeEnvironment.Count > 0 ? string.Join(' ', State.Settings.Topology.NodeEnvironment) : "none";

    /// <summary>
    /// Prints the table and keeps it in <c>table.txt</c>, writes the results report into bench/results (naming the build the
    /// cluster was published from, which the checkout's HEAD may have moved past), then removes the bench's keys.
    /// </summary>
    public async Task FinishAsync(string reportTitle, IReadOnlyList<string> table, CancellationToken cancel)
    {
        foreach (var line in table)
        {
            _output.WriteLine(line);
        }
        await File.WriteAllLinesAsync(Path.Combine(Directory, BenchRun.TableFileName), table, cancel);
        if (BenchCommand.Report(new DirectoryInfo(Directory), null, reportTitle, State.BuildCommit) != 0)
        {
            Warn($"spike bench report failed: no results in bench/results (raw output in {Directory})");
        }
        await RemoveDataAsync();
        if (StartedByUs)
        {
            Say("");
            Say("bench brought the system up; it stays up (./spike.sh down to stop it).");
        }
    }

    /// <summary>Removes the bench's keys (its sales, their orders), once, unless SPIKE_BENCH_KEEP_DATA=1 keeps them.</summary>
    public async Task RemoveDataAsync()
    {
        if (Settings.KeepData || _dataRemoved)
        {
            return;
        }
        var removed = await BenchKeys.RemoveAsync(Redis, RunId, Path.Combine(Directory, "keys"));
        _dataRemoved = true;
        Say($"removed the bench sales' {removed} Redis keys (SPIKE_BENCH_KEEP_DATA=1 keeps them)");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Admin.Dispose();
        await Redis.DisposeAsync();
    }
}
