using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike cli &lt;node&gt; [command...]</c>: runs one command on a node's command host and exits with its exit code,
/// or, without a command, opens an interactive session with history and tab completion.
/// </summary>
public static class CliCommand
{
    public const string TokenVariable = "SPIKE_CMD_TOKEN";

    public static Command Create()
    {
        var node = new Argument<string>("node")
        {
            Description = $"the node's command host: host:port; or, of the local cluster (spike up), a node's index or name as spike status lists them; without one, an index i means 127.0.0.1:{NodeEndpoint.BasePort}+i",
        };
        var words = new Argument<string[]>("command")
        {
            Description = "the command and its arguments, e.g. cluster show; none opens an interactive session",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var token = new Option<string?>("--token")
        {
            Description = $"the node's Spike:CommandHost:Token (default: ${TokenVariable})",
        };
        var command = new Command("cli", "inspect a node and its cluster (Petabridge.Cmd's commands); 'help' lists them") { node, words, token };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(node)!, parse.GetValue(words) ?? [], parse.GetValue(token), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string nodeText, string[] words, string? token, CancellationToken cancellationToken)
    {
        NodeEndpoint endpoint;
        var errors = Terminal.Errors;
        var local = RunDirectory.TryLocate() is { } run ? RunState.Load(run) : null;
        if (local?.Topology.Nodes.FirstOrDefault(n => n.Name == nodeText || n.Index.ToString(CultureInfo.InvariantCulture) == nodeText) is { } node)
        {
            endpoint = new NodeEndpoint(node.Host, node.CommandPort);
            token ??= Environment.GetEnvironmentVariable(TokenVariable) ?? local.Settings.Topology.CommandToken;
        }
        else if (!NodeEndpoint.TryParse(nodeText, out endpoint))
        {
            errors.MarkupLineInterpolated($"[red]not a node: '{nodeText}'[/] (host:port, or an index i for 127.0.0.1:{NodeEndpoint.BasePort}+i)");
            return CommandExitCodes.Usage;
        }
        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(token))
        {
            errors.MarkupLine($"[red]no token:[/] pass --token or set {TokenVariable} (the node's Spike:CommandHost:Token)");
            return CommandExitCodes.Usage;
        }
        if (words.Length == 0)
        {
            return await new InteractiveSession(endpoint, token).RunAsync(cancellationToken);
        }
        // One-shot output stays plain lines, exactly as the node sent them: scripts parse it.
        return await CommandClient.RunAsync(endpoint, token, string.Join(' ', words), (kind, line) =>
        {
            if (kind == ReplyKind.Error)
            {
                errors.MarkupLineInterpolated($"[red]{line}[/]");
            }
            else
            {
                Console.Out.WriteLine(line);
            }
        }, cancellationToken: cancellationToken);
    }
}

internal static class Terminal
{
    /// <summary>Output lines, in colour where it is a terminal; redirected (a script or a log reads it), a line is never wrapped.</summary>
    public static IAnsiConsole Output { get; } = Create(Console.Out, Console.IsOutputRedirected);

    /// <summary>Error lines go to stderr, in red where it is a terminal; redirected, a line is never wrapped.</summary>
    public static IAnsiConsole Errors { get; } = Create(Console.Error, Console.IsErrorRedirected);

    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (redirected)
        {
            console.Profile.Width = CommandWire.MaxLineBytes;
        }
        return console;
    }
}
