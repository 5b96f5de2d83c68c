using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike up | down | status | logs</c>: the cluster on this host (<see cref="LocalCluster"/>), configured by the
/// <c>SPIKE_*</c> environment variables, its state in <c>.run/state.json</c>.
/// </summary>
public static class LocalClusterCommands
{
    /// <summary><c>spike status</c>'s exit code when no cluster is recorded (1: recorded, but not all of it up and ready).</summary>
    public const int NotUp = 3;

    public static IEnumerable<Command> Create() => [Up(), Down(), Status(), Logs()];

    private static Command Up()
    {
        var command = new Command("up", "start Redis, the inventory nodes, the API nodes and nginx on this host; wait until all are ready");
        command.SetAction((_, cancel) => InCheckout(async run =>
        {
            using var cluster = new LocalCluster(run, Terminal.Output);
            RunState state;
            try
            {
                state = await cluster.UpAsync(cancel);
            }
            catch (Exception e) when (e is LocalClusterException or FormatException)
            {
                Terminal.Errors.WriteLine(e.Message);
                return CommandExitCodes.Failed;
            }
            await PrintSummaryAsync(run, state, cancel);
            return CommandExitCodes.Ok;
        }));
        return command;
    }

    private static Command Down()
    {
        var command = new Command("down", "stop the local cluster: each node leaves the cluster, then nginx and Redis stop (SIGKILL only as the last resort)");
        command.SetAction(_ => InCheckout(async run =>
        {
            using var cluster = new LocalCluster(run, Terminal.Output);
            await cluster.DownAsync();
            return CommandExitCodes.Ok;
        }));
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", $"the local cluster's processes, readiness and memory (exit code 0: all up and ready, 1: not all, {NotUp}: not up)");
        command.SetAction((_, cancel) => InCheckout(async run =>
        {
            if (RunState.Load(run) is not { } state)
            {
                Terminal.Output.MarkupLine("Spike is not up (no .run/state.json).");
                return NotUp;
            }
            var rows = await ProcessRow.ReadAllAsync(state, cancel);
            Terminal.Output.Write(ProcessRow.Table(rows));
            Terminal.Output.MarkupLine(rows.All(r => r.IsReady)
                ? $"all up and ready; entry point http://{state.Settings.Topology.Host}:{state.Settings.Topology.NginxPort}"
                : "[yellow]NOT all up and ready[/] (logs in .run/logs; spike up restarts processes that died)");
            return rows.All(r => r.IsReady) ? CommandExitCodes.Ok : CommandExitCodes.Failed;
        }));
        return command;
    }

    private static Command Logs()
    {
        var name = new Argument<string>("process") { Description = "a node (its index or name, as spike status lists them), redis or nginx" };
        var lines = new Option<int>("--lines", "-n") { Description = "how many of the last lines", DefaultValueFactory = _ => 50 };
        var follow = new Option<bool>("--follow", "-f") { Description = "keep printing what is appended, until Ctrl-C" };
        var command = new Command("logs", "print the last lines of a process's log (.run/logs)") { name, lines, follow };
        command.SetAction((parse, cancel) => InCheckout(async run =>
        {
            var wanted = parse.GetValue(name)!;
            var state = RunState.Load(run);
            var log = state is null ? null : Find(state, wanted)?.Log;
            log ??= File.Exists(run.LogOf(wanted)) ? run.LogOf(wanted) : null;
            if (log is null)
            {
                Terminal.Errors.MarkupLineInterpolated(
                    $"[red]no process '{wanted}'[/] ({(state is null ? "the cluster is not up" : "processes: " + string.Join(' ', state.Processes.Select(p => p.Name)))})");
                return CommandExitCodes.Usage;
            }
            Console.Out.WriteLine(LocalProcesses.Tail(log, Math.Max(parse.GetValue(lines), 0)));
            if (parse.GetValue(follow))
            {
                await FollowAsync(log, cancel);
            }
            return CommandExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Runs the action with the checkout's run directory; outside a checkout says so.</summary>
    internal static async Task<int> InCheckout(Func<RunDirectory, Task<int>> action)
    {
        if (RunDirectory.TryLocate() is not { } run)
        {
            Terminal.Errors.WriteLine("spike: not inside a Spike checkout (no Spike.sln above here); run it from the repository or set SPIKE_ROOT");
            return CommandExitCodes.Usage;
        }
        return await action(run);
    }

    /// <summary>A recorded process by name, or a node by its index in the plan (what <c>spike cli</c> takes too).</summary>
    public static RunProcess? Find(RunState state, string nameOrIndex)
    {
        var nodes = state.Topology.Nodes;
        var name = int.TryParse(nameOrIndex, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < nodes.Count
            ? nodes[index].Name
            : nameOrIndex;
        return state.Processes.FirstOrDefault(p => p.Name == name);
    }

    private static async Task FollowAsync(string log, CancellationToken cancel)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(0, SeekOrigin.End);
        using var reader = new StreamReader(stream);
        try
        {
            while (true)
            {
                if (await reader.ReadLineAsync(cancel) is { } line)
                {
                    Console.Out.WriteLine(line);
                }
                else
                {
                    await Task.Delay(250, cancel);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C ends following
        }
    }

    internal static async Task PrintSummaryAsync(RunDirectory run, RunState state, CancellationToken cancel)
    {
        var topology = state.Settings.Topology;
        var host = topology.Host;
        Terminal.Output.WriteLine();
        Terminal.Output.MarkupLineInterpolated(
            $"[green]Spike is up[/]: {topology.ApiPorts.Count} API node(s) behind nginx, {topology.InventoryNodes} inventory node(s), Redis.");
        Terminal.Output.Write(ProcessRow.Table(await ProcessRow.ReadAllAsync(state, cancel)));
        Terminal.Output.MarkupLineInterpolated($"  admin token  {topology.AdminToken}   (also in .run/{Path.GetFileName(run.AdminTokenFile)})");
        Terminal.Output.WriteLine("  command hosts: spike cli <node> [command]  (token in .run/cmd-token; node: its index or name, see spike status)");
        Terminal.Output.WriteLine();
        Terminal.Output.MarkupLineInterpolated($"  try:  curl -i 'http://{host}:{topology.NginxPort}/buy/ticket?sale=demo&user=alice&requestId=alice-1'");
        Terminal.Output.WriteLine("        ./spike.sh status | ./spike.sh cli 0 cluster show | ./spike.sh demo | ./spike.sh bench | ./spike.sh down");
    }
}

/// <summary>One recorded process as it is now: alive, its readiness answer, its memory, and what it is in the plan.</summary>
internal sealed record ProcessRow(RunProcess Process, bool Alive, ReadyAnswer Ready, long? ResidentBytes, string Detail)
{
    public bool IsReady => Alive && Ready == ReadyAnswer.Ready;

    public static async Task<IReadOnlyList<ProcessRow>> ReadAllAsync(RunState state, CancellationToken cancel)
    {
        var topology = state.Topology;
        var settings = state.Settings.Topology;
        using var readiness = new Readiness();
        return await Task.WhenAll(state.Processes.Select(async process =>
        {
            var alive = LocalProcesses.IsRunning(process);
            var ready = alive ? await readiness.ProbeAsync(settings.Host, process, cancel) : ReadyAnswer.None;
            var node = topology.Nodes.FirstOrDefault(n => n.Name == process.Name);
            var detail = process.Kind switch
            {
                ProcessKinds.Redis => $"AOF, appendfsync {state.Settings.RedisFsync}",
                ProcessKinds.Nginx => $"weights {string.Join(':', settings.EffectiveApiWeights)} over {string.Join(' ', settings.ApiPorts)}",
                _ when node is not null => $"node {node.Index}, cmd {node.CommandPort}"
                    + (node.Weight > 0 ? $", weight {node.Weight}" : "")
                    + $", akka {node.AkkaPort}, roles {string.Join(',', node.Roles)}{(node.IsSeed ? ", seed" : "")}",
                _ => "not in the node plan",
            };
            return new ProcessRow(process, alive, ready, alive ? LocalProcesses.ResidentBytes(process.Pid) : null, detail);
        }));
    }

    public static Table Table(IEnumerable<ProcessRow> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in new[] { "NAME", "KIND", "PORT", "PID", "ALIVE", "READY", "RSS", "DETAIL" })
        {
            table.AddColumn(header);
        }
        foreach (var row in rows)
        {
            var p = row.Process;
            table.AddRow(
                Markup.Escape(p.Name), p.Kind, p.Port.ToString(CultureInfo.InvariantCulture), p.Pid.ToString(CultureInfo.InvariantCulture),
                row.Alive ? "[green]yes[/]" : "[red]NO[/]",
                row.IsReady ? $"[green]{Readiness.Label(p, row.Ready)}[/]" : $"[yellow]{Readiness.Label(p, row.Ready)}[/]",
                row.ResidentBytes is { } rss ? $"{rss / (1024 * 1024)}MB" : "-",
                Markup.Escape(row.Detail));
        }
        return table;
    }
}
