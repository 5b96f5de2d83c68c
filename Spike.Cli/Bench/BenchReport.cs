using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Spike.Cli.Bench;

/// <summary>The files one report wrote: its folder, its table, its plot (null when no run has latency percentiles) and the index.</summary>
public sealed record BenchReportFiles(string Directory, string Results, string? Plot, string Index);

/// <summary>
/// Writes a bench's results under a results folder (bench/results): a folder per bench named after its day (UTC),
/// <c>yyyy-MM-dd</c>, then <c>yyyy-MM-dd-2</c>, <c>-3</c>, ... for later benches of the same day, so that no report
/// replaces another. It holds <c>results.md</c> (a row per wrk run, the machine, the commit, and the bench's own table
/// with its verdicts) and <c>latency.svg</c> (<see cref="LatencyPlot"/>). The results folder's <c>README.md</c> is
/// rewritten to point to the latest report and list every one, so that other documents can link one stable place.
/// </summary>
public static partial class BenchReport
{
    public const string ResultsFileName = "results.md";
    public const string PlotFileName = "latency.svg";
    public const string IndexFileName = "README.md";

    /// <summary>The index's first line: an index without it was not written here, and is not overwritten.</summary>
    public const string IndexHeading = "# Bench results";

    private const string Missing = "–";

    /// <exception cref="IOException">the results folder has a README.md that is not a bench results index</exception>
    public static BenchReportFiles Write(BenchRun bench, string title, string resultsRoot, BenchMachine machine)
    {
        var index = Path.Combine(resultsRoot, IndexFileName);
        if (File.Exists(index) && !File.ReadLines(index).FirstOrDefault("").Equals(IndexHeading, StringComparison.Ordinal))
        {
            throw new IOException($"{index} is not a bench results index (its first line is not '{IndexHeading}'); not overwriting it");
        }
        var folder = CreateReportFolder(resultsRoot, machine.Date);
        var plot = Path.Combine(folder, PlotFileName);
        var plotted = LatencyPlot.TryWriteSvg(bench.Runs, title, plot);
        var results = Path.Combine(folder, ResultsFileName);
        File.WriteAllText(results, ResultsMarkdown(bench, title, machine, plotted));
        File.WriteAllText(index, IndexMarkdown(resultsRoot, Path.GetFileName(folder), title, plotted));
        return new BenchReportFiles(folder, results, plotted ? plot : null, index);
    }

    private static string CreateReportFolder(string resultsRoot, DateTimeOffset date)
    {
        var day = date.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        for (var n = 1; ; n++)
        {
            var folder = Path.Combine(resultsRoot, n == 1 ? day : $"{day}-{n}");
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                return folder;
            }
        }
    }

    private static string ResultsMarkdown(BenchRun bench, string title, BenchMachine machine, bool withPlot)
    {
        var cpuGroups = bench.Runs.SelectMany(r => r.Cpu).Select(c => c.Group).Distinct(StringComparer.Ordinal).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{machine.Date.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {machine.Cores} cores, commit `{machine.Commit}`. " +
            $"The wrk runs of bench `{Path.GetFileName(bench.Directory)}`, in the order they ran; latency in ms, CPU in cores.");
        text.AppendLine();
        Row(text, ["run", "req/s", "p50", "p90", "p99", "max", "statuses", "socket errors", .. cpuGroups.Select(g => "CPU " + g)]);
        Row(text, ["---", "--:", "--:", "--:", "--:", "--:", "---", "---", .. cpuGroups.Select(_ => "--:")]);
        foreach (var run in bench.Runs)
        {
            Row(text, [
                run.Label,
                Number(run.RequestsPerSecond, "#,0"),
                Milliseconds(run.P50Ms),
                Milliseconds(run.P90Ms),
                Milliseconds(run.P99Ms),
                Milliseconds(run.MaxMs),
                string.Join(", ", run.Statuses.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key}: {s.Value:#,0}"))),
                SocketErrors(run.Errors),
                .. cpuGroups.Select(g => Number(run.Cpu.FirstOrDefault(c => c.Group == g)?.Cores, "0.00")),
            ]);
        }
        if (withPlot)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![latency percentiles of each run]({PlotFileName})");
        }
        if (bench.Table is not null)
        {
            text.AppendLine();
            text.AppendLine("## The bench's table");
            text.AppendLine();
            text.AppendLine("```text");
            text.AppendLine(bench.Table.Trim('\n'));
            text.AppendLine("```");
        }
        return text.ToString();
    }

    private static string IndexMarkdown(string resultsRoot, string latest, string latestTitle, bool latestHasPlot)
    {
        var text = new StringBuilder();
        text.AppendLine(IndexHeading);
        text.AppendLine();
        text.AppendLine("Written by `spike bench report` (`./spike.sh bench` runs it after its table): a folder per bench, named");
        text.AppendLine("after its day (UTC), with `-2`, `-3`, ... for later benches of the same day. Each holds `results.md`");
        text.AppendLine("(every wrk run's requests/s, latency, answers, socket errors and CPU, the machine, the commit, and the");
        text.AppendLine("bench's own table with its verdicts) and `latency.svg` (each run's latency percentiles).");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Latest: [{latest}]({latest}/{ResultsFileName}), {latestTitle}.");
        if (latestHasPlot)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"![latency percentiles of the latest bench]({latest}/{PlotFileName})");
        }
        text.AppendLine();
        text.AppendLine("Every report, newest first:");
        text.AppendLine();
        foreach (var folder in ReportFolders(resultsRoot))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- [{folder}]({folder}/{ResultsFileName})");
        }
        return text.ToString();
    }

    /// <summary>The report folders' names, newest first: by day, then by the number after it (none is the first).</summary>
    private static IEnumerable<string> ReportFolders(string resultsRoot) =>
        Directory.EnumerateDirectories(resultsRoot)
            .Select(Path.GetFileName)
            .Select(name => ReportFolderName().Match(name!))
            .Where(m => m.Success)
            .OrderByDescending(m => m.Groups["day"].Value, StringComparer.Ordinal)
            .ThenByDescending(m => m.Groups["n"].Success ? int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : 1)
            .Select(m => m.Value);

    [GeneratedRegex(@"^(?<day>\d{4}-\d{2}-\d{2})(-(?<n>\d+))?$")]
    private static partial Regex ReportFolderName();

    private static void Row(StringBuilder text, IEnumerable<string> cells) =>
        text.AppendLine("| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");

    private static string Number(double? value, string format) =>
        value?.ToString(format, CultureInfo.InvariantCulture) ?? Missing;

    private static string Milliseconds(double? value) => Number(value, "0.00");

    /// <summary>The total, and which kinds when there are any: "0", "7 (read 5, timeout 2)".</summary>
    private static string SocketErrors(WrkSocketErrors errors)
    {
        var kinds = new (string Kind, long Count)[]
        {
            ("connect", errors.Connect), ("read", errors.Read), ("write", errors.Write), ("timeout", errors.Timeout),
        }.Where(k => k.Count > 0).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Kind} {k.Count}"));
        return errors.Total == 0
            ? "0"
            : string.Create(CultureInfo.InvariantCulture, $"{errors.Total} ({string.Join(", ", kinds)})");
    }
}
