using Spectre.Console;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// The interactive mode: reads command lines with history and tab completion, runs each on the node, and shows
/// the answer; lines of <c>a | b | c</c> columns as a table.
/// </summary>
internal sealed class InteractiveSession(NodeEndpoint node, string token)
{
    /// <summary>Words the session handles itself; everything else goes to the node.</summary>
    private static readonly string[] SessionWords = ["exit", "quit"];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]spike cli[/] {node}: 'help', Tab completes, Up/Down recall, 'exit' quits");
        var editor = new LineEditor(Complete);
        var prompt = $"{node}> ";
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = editor.ReadLine(prompt);
            if (line is null || SessionWords.Contains(line.Trim(), StringComparer.Ordinal))
            {
                return CommandExitCodes.Ok;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var result = await CommandClient.RunToEndAsync(node, token, line, cancellationToken: cancellationToken);
            Show(result);
        }
        return CommandExitCodes.Ok;
    }

    private static IReadOnlyList<string> Complete(string line)
    {
        var words = CommandTable.Complete(line);
        var tokens = CommandTable.Tokenize(line);
        var firstWord = tokens.Length == 0 || (tokens.Length == 1 && !char.IsWhiteSpace(line[^1]));
        return firstWord
            ? [.. words.Concat(SessionWords.Where(w => w.StartsWith(tokens.FirstOrDefault() ?? "", StringComparison.Ordinal))).Order(StringComparer.Ordinal)]
            : words;
    }

    private static void Show(CommandResult result)
    {
        // Consecutive lines with the same number of " | " columns form one table.
        var block = new List<string[]>();
        foreach (var line in result.Output)
        {
            var cells = line.Split(" | ");
            if (block.Count > 0 && (cells.Length != block[0].Length || cells.Length == 1))
            {
                Flush(block);
            }
            block.Add(cells);
        }
        Flush(block);
        foreach (var error in result.Errors)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{error}[/]");
        }
        if (result.ExitCode != CommandExitCodes.Ok)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey](exit {result.ExitCode})[/]");
        }
    }

    private static void Flush(List<string[]> block)
    {
        if (block.Count == 0)
        {
            return;
        }
        if (block[0].Length == 1)
        {
            block.ForEach(cells => AnsiConsole.WriteLine(cells[0]));
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).HideHeaders();
            for (var i = 0; i < block[0].Length; i++)
            {
                table.AddColumn(string.Empty);
            }
            block.ForEach(cells => table.AddRow([.. cells.Select(c => Markup.Escape(c.Trim()))]));
            AnsiConsole.Write(table);
        }
        block.Clear();
    }
}
