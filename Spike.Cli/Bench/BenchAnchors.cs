using System.Diagnostics;
using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>The Go anchor's processes, for the CPU line: its servers (in the API column) and its nginx's master and workers.</summary>
internal sealed record GoAnchor(IReadOnlyList<int> ServerPids, IReadOnlyList<int> NginxPids, string Url);

/// <summary>
/// The systems Spike is measured against, started by the bench beside the running cluster on the same Redis (with keys
/// of their own), each in its own session and logging into <c>.run/anchors/</c>, and stopped when the bench ends:
/// <list type="bullet">
/// <item>node: bench/Anchors (Spike.Anchors) on SPIKE_NODE_ANCHOR_PORT: GET /ping answers constant JSON (a bare Kestrel
/// endpoint), GET /buy/ticket runs Spike's own reserve script for one buyer per request through the same store code (no
/// actors, no batching).</item>
/// <item>cluster: the Go anchor, a rebuild of the Go + Redis + nginx ticket-spike server Spike's design comes from
/// (SPIKE_GO_ANCHOR_SRC), one per API port (+ SPIKE_GO_ANCHOR_PORT_OFFSET) with the API ports' weights, behind an nginx
/// rendered from the same template on SPIKE_GO_ANCHOR_NGINX_PORT.</item>
/// </list>
/// </summary>
internal sealed class BenchAnchors(BenchSession session) : IAsyncDisposable
{
    /// <summary>The Go server's counts in Redis (its own key), far above what a run sells.</summary>
    public const string GoTicketsKey = "ticket_hash_key";

    private const string GoStock = "1000000000";

    /// <summary>Debian's redigo, the Go server's Redis client, found through a GOPATH of the bench's.</summary>
    private const string Redigo = "/usr/share/gocode/src/github.com";

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AnswerPoll = TimeSpan.FromMilliseconds(200);

    private readonly List<Process> _started = [];
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };

    private string Folder => Path.Combine(session.Cluster.Run.Root, "anchors");

    /// <summary>Publishes and starts Spike.Anchors with the nodes' runtime settings; returns its pid once /ping answers.</summary>
    public async Task<int> StartNodeAnchorAsync(CancellationToken cancel)
    {
        var port = session.Settings.NodeAnchorPort;
        RefuseBusy(port, "the node anchor", "SPIKE_NODE_ANCHOR_PORT");
        var cluster = session.Cluster;
        await cluster.PublishAsync(Path.Combine("bench", "Anchors", "Spike.Anchors.csproj"), "anchors", session.State.Settings.BuildConfiguration, cancel);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://{session.Host}:{port}",
            ["Redis"] = session.State.Settings.Topology.Redis,
        };
        foreach (var setting in session.State.Settings.Topology.NodeEnvironment)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            environment[setting[..equals]] = setting[(equals + 1)..];
        }
        var anchor = Start("node.log", cluster.Run.Publish("anchors"), ["dotnet", "Spike.Anchors.dll"], environment);
        await WaitForAsync($"http://{session.Host}:{port}/ping", "node", cancel);
        return anchor.Id;
    }

    /// <summary>Builds and starts the Go servers and their nginx; null (and why, in <paramref name="skipped"/>) when its source is not there.</summary>
    public async Task<GoAnchor?> StartGoAnchorAsync(Action<string> skipped, CancellationToken cancel)
    {
        var settings = session.Settings;
        var source = settings.GoAnchorSource;
        if (!File.Exists(Path.Combine(source, "main.go")))
        {
            skipped($"no {source}/main.go (SPIKE_GO_ANCHOR_SRC)");
            return null;
        }
        var cluster = session.Cluster;
        var missing = new[] { (Found: Which("go") is not null, Package: "golang-go"), (Found: Directory.Exists(Path.Combine(Redigo, "gomodule", "redigo")), Package: "golang-github-gomodule-redigo-dev") }
            .Where(p => !p.Found).Select(p => p.Package).ToArray();
        if (missing.Length > 0)
        {
            throw new BenchException($"missing: {string.Join(' ', missing)} (the Go anchor's build). Install it with:  sudo apt-get install -y {string.Join(' ', missing)}  (or ./spike.sh deps)");
        }
        var gopath = Path.Combine(Folder, "gopath");
        Directory.CreateDirectory(Path.Combine(gopath, "src"));
        var link = Path.Combine(gopath, "src", "github.com");
        if (File.Exists(link) || Directory.Exists(link))
        {
            File.Delete(link);
        }
        File.CreateSymbolicLink(link, Redigo);
        session.Step($"building the Go anchor from {source} into .run/anchors/seed-spike");
        var binary = Path.Combine(Folder, "seed-spike");
        var buildLog = Path.Combine(Folder, "go-build.log");
        File.WriteAllText(buildLog, "");
        if (await cluster.RunToLogAsync("go", ["build", "-o", binary, "main.go"], buildLog, cancel,
                new Dictionary<string, string> { ["GOPATH"] = gopath, ["GO111MODULE"] = "off" }, source) != 0)
        {
            throw new BenchException($"go build of the Go anchor failed:\n{File.ReadAllText(buildLog)}");
        }

        var topology = session.State.Settings.Topology;
        var goPorts = topology.ApiPorts.Select(p => p + settings.GoAnchorPortOffset).ToArray();
        foreach (var port in goPorts)
        {
            RefuseBusy(port, "a Go anchor server", "SPIKE_GO_ANCHOR_PORT_OFFSET");
        }
        RefuseBusy(settings.GoAnchorNginxPort, "the Go anchor's nginx", "SPIKE_GO_ANCHOR_NGINX_PORT");
        await session.Redis.GetDatabase().HashSetAsync(GoTicketsKey, [new("ticket_total_nums", GoStock), new("ticket_sold_nums", 0)]);
        var servers = goPorts.Select(port => Start($"go-{port}.log", Folder,
            [binary, "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-local-stock", GoStock, "-redis", topology.Redis], [])).ToArray();
        var nginxFolder = Path.Combine(Folder, "nginx");
        var nginxCommand = await cluster.RenderNginxAsync(nginxFolder, Path.Combine(Folder, "nginx-render.log"), session.Host,
            settings.GoAnchorNginxPort, goPorts, topology.EffectiveApiWeights, upstreamHeader: false, adminOnPublicPort: false, cancel);
        var nginx = Start("nginx.log", nginxFolder, nginxCommand, []);
        foreach (var port in goPorts)
        {
            await WaitForAsync($"http://{session.Host}:{port}/buy/ticket", "Go", cancel);
        }
        var url = $"http://{session.Host}:{settings.GoAnchorNginxPort}";
        await WaitForAsync(url + "/buy/ticket", "Go (nginx)", cancel);
        return new GoAnchor([.. servers.Select(s => s.Id)], ProcessTicks.WithChildren(nginx.Id), url);
    }

    /// <summary>SIGTERM to every anchor's session, then waits for each.</summary>
    public async Task StopAsync()
    {
        foreach (var process in _started)
        {
            LocalProcesses.TerminateGroup(process);
        }
        foreach (var process in _started)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }
        _started.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
    }

    private Process Start(string log, string directory, IReadOnlyList<string> command, IEnumerable<KeyValuePair<string, string>> environment)
    {
        var path = Path.Combine(Folder, log);
        Directory.CreateDirectory(Folder);
        File.WriteAllText(path, "");
        var process = LocalProcesses.StartDetached(directory, path, command, environment);
        _started.Add(process);
        return process;
    }

    /// <summary>Until the url answers 200 (30 s); otherwise the anchors stop and the bench with them.</summary>
    private async Task WaitForAsync(string url, string name, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (await HttpProbe.StatusAsync(_http, new Uri(url), cancel) != 200)
        {
            if (clock.Elapsed > AnswerTimeout)
            {
                await StopAsync();
                throw new BenchException($"the {name} anchor did not answer {url} within {AnswerTimeout.TotalSeconds:0} s (log in .run/anchors/)");
            }
            await Task.Delay(AnswerPoll, cancel);
        }
    }

    private void RefuseBusy(int port, string what, string variable)
    {
        if (Readiness.IsPortBusy(session.Host, port))
        {
            throw new BenchException($"port {port} ({what}) is in use; set {variable}");
        }
    }

    private static string? Which(string program) =>
        Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
