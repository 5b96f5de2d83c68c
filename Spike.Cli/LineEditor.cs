using System.Text;

namespace Spike.Cli;

/// <summary>
/// A small line editor on <see cref="Console.ReadKey(bool)"/>: left/right, home/end, backspace/delete, Up/Down
/// through the session's history, Tab completion (a single candidate is taken, several extend their common
/// prefix or are listed). Redirected input is read line by line without editing.
/// </summary>
internal sealed class LineEditor(Func<string, IReadOnlyList<string>> complete)
{
    private readonly List<string> _history = [];

    /// <summary>The line, or null at the end of input (Ctrl+D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        if (Console.IsInputRedirected)
        {
            return Console.ReadLine();
        }
        var line = new StringBuilder();
        var cursor = 0;
        var recalled = _history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    var text = line.ToString();
                    if (!string.IsNullOrWhiteSpace(text) && (_history.Count == 0 || _history[^1] != text))
                    {
                        _history.Add(text);
                    }
                    return text;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0:
                    Console.WriteLine();
                    return null;
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.Escape:
                    line.Clear();
                    cursor = 0;
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                    cursor = Replace(line, _history[--recalled]);
                    break;
                case ConsoleKey.DownArrow when recalled < _history.Count:
                    cursor = Replace(line, ++recalled < _history.Count ? _history[recalled] : string.Empty);
                    break;
                case ConsoleKey.Tab:
                    cursor = Complete(line, cursor, prompt);
                    break;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        line.Insert(cursor++, key.KeyChar);
                    }
                    break;
            }
            Redraw(prompt, line, cursor);
        }
    }

    private int Complete(StringBuilder line, int cursor, string prompt)
    {
        var before = line.ToString(0, cursor);
        var candidates = complete(before);
        if (candidates.Count == 0)
        {
            return cursor;
        }
        var typed = before.Length == 0 || char.IsWhiteSpace(before[^1]) ? string.Empty : before[(before.LastIndexOf(' ') + 1)..];
        var common = candidates.Aggregate((a, b) => a[..a.Zip(b).TakeWhile(p => p.First == p.Second).Count()]);
        var insert = candidates.Count == 1 ? candidates[0][typed.Length..] + " " : common[typed.Length..];
        if (insert.Length == 0)
        {
            // several candidates and nothing they all share beyond what is typed: list them
            Console.WriteLine();
            Console.WriteLine(string.Join("  ", candidates));
            Console.Write(prompt);
            return cursor;
        }
        line.Insert(cursor, insert);
        return cursor + insert.Length;
    }

    private static int Replace(StringBuilder line, string text)
    {
        line.Clear().Append(text);
        return line.Length;
    }

    /// <summary>Rewrites the line in place (ESC[K clears what a shorter line leaves) and puts the cursor back.</summary>
    private static void Redraw(string prompt, StringBuilder line, int cursor) =>
        Console.Write($"\r{prompt}{line}\u001b[K\r{prompt}{line.ToString(0, cursor)}");
}
