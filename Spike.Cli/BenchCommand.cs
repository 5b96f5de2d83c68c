using System.CommandLine;
using Spectre.Console;
using Spike.Cli.Bench;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike bench [cluster|node|overload]</c>: the wrk benchmark of the local cluster (<see cref="ClusterBench"/>,
/// <see cref="NodeBench"/>, <see cref="OverloadBench"/>), brought up first when it is not; its raw output in <c>.run/bench/&lt;run&gt;/</c>, then its report.
/// <c>spike bench report &lt;run-dir&gt; [--out dir] [--title text] [--commit text]</c>: reads the wrk outputs of one bench
/// (<c>.run/bench/&lt;run&gt;/*.out</c>) and writes its results table and latency plot to <c>&lt;out&gt;/&lt;yyyy-MM-dd&gt;[-n]/</c>
/// (<see cref="BenchReport"/>); prints the files it wrote, one <c>key path</c> line each.
/// </summary>
public static class BenchCommand
{
    public const string ClusterMode = "cluster";
    public const string NodeMode = "node";
    public const string OverloadMode = "overload";

    public static Command Create()
    {
        var cluster = new Command(ClusterMode,
            "through nginx and on one API node directly, /ping through nginx, the Go anchor, the time to sell out a sale (the default when inventory nodes run)");
        cluster.SetAction((_, cancel) => LocalClusterCommands.InCheckout(run => RunAsync(run, ClusterMode, cancel)));
        var node = new Command(NodeMode, "one API node directly: success path, sold-out paths, /ping, against the node anchors (bench/Anchors)");
        node.SetAction((_, cancel) => LocalClusterCommands.InCheckout(run => RunAsync(run, NodeMode, cancel)));
        var overload = new Command(OverloadMode,
            "one API node directly at its capacity, then at 5x its saturating concurrency (SPIKE_BENCH_OVERLOAD_FACTOR) with a timed probe, its memory and thread pool");
        overload.SetAction((_, cancel) => LocalClusterCommands.InCheckout(run => RunAsync(run, OverloadMode, cancel)));
        // `spike bench` alone runs the bench its cluster fits; modes as subcommands keep `bench report`'s usage its own
        var bench = new Command("bench", "the wrk benchmark of the local cluster (brought up first when it is not), then its results report")
        {
            cluster, node, overload, Report(),
        };
        bench.SetAction((_, cancel) => LocalClusterCommands.InCheckout(run => RunAsync(run, mode: null, cancel)));
        return bench;
    }

    private static async Task<int> RunAsync(RunDirectory run, string? mode, CancellationToken cancel)
    {
        try
        {
            var settings = BenchSettings.FromEnvironment(run.Repository);
            using var cluster = new LocalCluster(run, Terminal.Output);
            var (state, startedByUs) = await EnsureUpAsync(cluster, cancel);
            mode ??= state.Settings.Topology.InventoryNodes > 0 ? ClusterMode : NodeMode;
            var runPrefix = mode switch { ClusterMode => "c", OverloadMode => "o", _ => "b" };
            await using var session = await BenchSession.OpenAsync(cluster, state, settings, runPrefix, startedByUs, Console.Out, Console.Error);
            if (mode == NodeMode)
            {
                await new NodeBench(session).RunAsync(cancel);
                return CommandExitCodes.Ok;
            }
            if (mode == OverloadMode ? await new OverloadBench(session).RunAsync(cancel) : await new ClusterBench(session).RunAsync(cancel))
            {
                return CommandExitCodes.Ok;
            }
            Terminal.Errors.WriteLine($"spike bench: an audit line of the {mode} bench failed (table above, raw output in {session.Directory})");
            return CommandExitCodes.Failed;
        }
        catch (Exception e) when (e is BenchException or LocalClusterException or FormatException or HttpRequestException or StackExchange.Redis.RedisException)
        {
            Terminal.Errors.WriteLine($"spike bench: {e.Message}");
            return CommandExitCodes.Failed;
        }
    }

    /// <summary>The cluster, all up and ready: as it runs, or brought up (restarting what died) when it is not.</summary>
    private static async Task<(RunState State, bool StartedByUs)> EnsureUpAsync(LocalCluster cluster, CancellationToken cancel)
    {
        if (RunState.Load(cluster.Run) is { } running && (await ProcessRow.ReadAllAsync(running, cancel)).All(r => r.IsReady))
        {
            return (running, false);
        }
        var startedByUs = RunState.Load(cluster.Run) is not { } recorded || !recorded.Processes.Any(LocalProcesses.IsRunning);
        if (startedByUs)
        {
            Terminal.Output.WriteLine("The system is not up: 'bench' brings it up first (./spike.sh up).");
        }
        var state = await cluster.UpAsync(cancel);
        await LocalClusterCommands.PrintSummaryAsync(cluster.Run, state, cancel);
        var rows = await ProcessRow.ReadAllAsync(state, cancel);
        if (!rows.All(r => r.IsReady))
        {
            Terminal.Output.Write(ProcessRow.Table(rows));
            throw new LocalClusterException("the system is not fully up and ready; ./spike.sh down && ./spike.sh up");
        }
        return (state, startedByUs);
    }

    private static Command Report()
    {
        var runDirectory = new Argument<DirectoryInfo>("run-dir")
        {
            Description = "one bench's raw output, a <label>.out file per wrk run: .run/bench/<run>/",
        };
        runDirectory.Validators.Add(result =>
        {
            if (result.Tokens is not [var token])
            {
                return; // the parser reports the missing argument itself
            }
            var directory = new DirectoryInfo(token.Value);
            if (!directory.Exists)
            {
                result.AddError($"no such directory: {directory.FullName}");
            }
            else if (directory.GetFiles("*" + WrkRun.FileExtension).Length == 0)
            {
                result.AddError($"no wrk output (*{WrkRun.FileExtension}) in {directory.FullName}: not a bench run directory");
            }
        });
        var output = new Option<DirectoryInfo?>("--out")
        {
            Description = "the results folder (default: bench/results of the repository holding <run-dir>)",
        };
        var title = new Option<string?>("--title") { Description = "the report's title (default: bench <run>)" };
        var commit = new Option<string?>("--commit")
        {
            Description = "the build the bench measured, e.g. abc1234+dirty (default: git rev-parse --short HEAD of <run-dir>'s repository)",
        };
        var report = new Command("report",
            "write a bench's results table (results.md) and latency plot (latency.svg) to <out>/<yyyy-MM-dd>[-n]/, and point <out>/README.md to them")
        {
            runDirectory, output, title, commit,
        };
        report.SetAction(parse =>
            Report(parse.GetValue(runDirectory)!, parse.GetValue(output), parse.GetValue(title), parse.GetValue(commit)));
        return report;
    }

    internal static int Report(DirectoryInfo runDirectory, DirectoryInfo? output, string? title, string? commit)
    {
        var resultsRoot = output?.FullName
            ?? (BenchMachine.RepositoryRoot(runDirectory.FullName) is { } repository ? Path.Combine(repository, "bench", "results") : null);
        if (resultsRoot is null)
        {
            Terminal.Errors.MarkupLineInterpolated(
                $"[red]{runDirectory.FullName} is not inside a git work tree, so there is no bench/results to default to: name the results folder with --out[/]");
            return CommandExitCodes.Usage;
        }
        try
        {
            var bench = BenchRun.Read(runDirectory.FullName);
            var machine = BenchMachine.Current(runDirectory.FullName, commit);
            var files = BenchReport.Write(bench, title ?? "bench " + runDirectory.Name, resultsRoot, machine);
            Console.Out.WriteLine($"results {files.Results}");
            if (files.Plot is not null)
            {
                Console.Out.WriteLine($"plot {files.Plot}");
            }
            Console.Out.WriteLine($"index {files.Index}");
            return CommandExitCodes.Ok;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]spike bench report: {e.Message}[/]");
            return CommandExitCodes.Failed;
        }
    }
}
