using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike topology [--format tsv|env] [--node name]</c>: the node plan of a cluster on this host, from the same
/// <c>SPIKE_*</c> environment variables (and defaults) as <c>./spike.sh</c>, which starts its nodes from it.
/// </summary>
public static class TopologyCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format")
        {
            Description = "tsv: one line per node (name kind http akka roles command-port weight seed|-); env: each node's KEY=VALUE lines",
            DefaultValueFactory = _ => "tsv",
        };
        format.AcceptOnlyFromAmong("tsv", "env");
        var node = new Option<string?>("--node") { Description = "only this node (its name, e.g. api-3001, or its index)" };
        var command = new Command("topology",
            "the nodes of a cluster on this host: ports, roles, seeds, weights and environment (from SPIKE_* variables, as ./spike.sh)")
        {
            format, node,
        };
        command.SetAction(parse => Run(parse.GetValue(format)!, parse.GetValue(node)));
        return command;
    }

    private static int Run(string format, string? nodeName)
    {
        Topology topology;
        try
        {
            topology = Topology.Plan(LocalSettings.FromEnvironment().Topology);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]spike topology: {e.Message}[/]");
            return CommandExitCodes.Usage;
        }
        var nodes = topology.Nodes.Where(n => nodeName is null || n.Name == nodeName
            || n.Index.ToString(CultureInfo.InvariantCulture) == nodeName).ToArray();
        if (nodes.Length == 0)
        {
            Terminal.Errors.MarkupLineInterpolated(
                $"[red]no node '{nodeName}'[/] (nodes: {string.Join(' ', topology.Nodes.Select(n => n.Name))})");
            return CommandExitCodes.Usage;
        }
        foreach (var node in nodes)
        {
            if (format == "env")
            {
                if (nodes.Length > 1)
                {
                    Console.Out.WriteLine("# " + node.Name);
                }
                foreach (var (key, value) in node.Environment)
                {
                    Console.Out.WriteLine($"{key}={value}");
                }
            }
            else
            {
                Console.Out.WriteLine(string.Join('\t', node.Name, node.Kind, node.HttpPort, node.AkkaPort,
                    string.Join(',', node.Roles), node.CommandPort, node.Weight, node.IsSeed ? "seed" : "-"));
            }
        }
        return CommandExitCodes.Ok;
    }
}
