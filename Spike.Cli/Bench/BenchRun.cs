namespace Spike.Cli.Bench;

/// <summary>
/// One bench as <c>spike bench</c> leaves it in <c>.run/bench/&lt;run&gt;/</c>: a <c>&lt;label&gt;.out</c> per measured wrk run, in the
/// order they ran (their files' write times; warm-ups, <see cref="WrkRun.WarmupPrefix"/>, left out), and the table with verdicts the
/// bench printed (<c>table.txt</c>), once it has.
/// </summary>
public sealed record BenchRun(string Directory, IReadOnlyList<WrkRun> Runs, string? Table)
{
    public const string TableFileName = "table.txt";

    /// <exception cref="DirectoryNotFoundException">no such directory</exception>
    /// <exception cref="FileNotFoundException">no <c>*.out</c> file in it</exception>
    /// <exception cref="FormatException">an <c>.out</c> file without a RESULT line, or with a value that is not a number</exception>
    public static BenchRun Read(string directory)
    {
        var folder = new DirectoryInfo(directory);
        if (!folder.Exists)
        {
            throw new DirectoryNotFoundException($"no such bench run directory: {folder.FullName}");
        }
        var outputs = folder.GetFiles("*" + WrkRun.FileExtension)
            .Where(f => !f.Name.StartsWith(WrkRun.WarmupPrefix, StringComparison.Ordinal))
            .OrderBy(f => f.LastWriteTimeUtc)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToArray();
        if (outputs.Length == 0)
        {
            throw new FileNotFoundException($"no measured wrk output (*{WrkRun.FileExtension}) in {folder.FullName}: not a bench run directory");
        }
        var table = Path.Combine(folder.FullName, TableFileName);
        return new BenchRun(
            folder.FullName,
            [.. outputs.Select(f => WrkRun.Read(f.FullName))],
            File.Exists(table) ? File.ReadAllText(table) : null);
    }
}
