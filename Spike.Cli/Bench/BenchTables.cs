using System.Globalization;

namespace Spike.Cli.Bench;

/// <summary>
/// A fixed-width text table: a width per column, negative for left-aligned (as printf's <c>%-28s</c>), positive for
/// right-aligned; a cell longer than its width widens its row.
/// </summary>
public sealed class TextTable(params int[] widths)
{
    public string Row(params string[] cells) =>
        "| " + string.Join(" | ", cells.Select((cell, i) => widths[i] < 0 ? cell.PadRight(-widths[i]) : cell.PadLeft(widths[i]))) + " |";

    /// <summary>The line under the header.</summary>
    public string Rule => "|" + string.Join('|', widths.Select(w => new string('-', Math.Abs(w) + 2))) + "|";
}

/// <summary>The verdicts and numbers of the bench's tables, as the bench prints them.</summary>
public static class BenchChecks
{
    public const string Pass = "PASS";
    public const string Miss = "MISS";
    public const string Fail = "FAIL";

    /// <summary>A timing check whose run was disturbed by other processes: neither PASS nor MISS.</summary>
    public const string Noisy = "NOISY";

    public const string NotApplicable = "n/a";

    /// <summary>A run during which other processes used more cores than this is disturbed.</summary>
    public const double NoisyCores = 0.15;

    /// <summary>The statuses a buy is expected to get; the tables count the others apart.</summary>
    private static readonly int[] ExpectedStatuses = [200, 409, 429, 503];

    /// <summary>a / b to two decimals (what the table shows is what is judged); null when b is not positive.</summary>
    public static double? Ratio(double? a, double? b) => b > 0 ? Math.Round((a ?? 0) / b.Value, 2) : null;

    public static string Verdict(bool pass) => pass ? Pass : Miss;

    /// <summary>PASS or MISS, or NOISY when any of the runs it judges was disturbed.</summary>
    public static string TimingVerdict(IEnumerable<WrkRun> runs, bool pass) => runs.Any(IsNoisy) ? Noisy : Verdict(pass);

    public static bool IsNoisy(WrkRun run) => Cpu(run, CpuLine.Other) > NoisyCores;

    /// <summary>A group's cores during a run, null when its CPU line has no such group.</summary>
    public static double? Cpu(WrkRun run, string group) => run.Cpu.FirstOrDefault(c => c.Group == group)?.Cores;

    /// <summary>A group's cores as the tables show them: "0.42", or "?" when the run has no such field.</summary>
    public static string CpuText(WrkRun run, string group) => Cpu(run, group) is { } cores ? Fixed(cores, 2) : "?";

    /// <summary>"0.42 / 0.10 / ..." of the groups, then wrk, interrupts and the rest.</summary>
    public static string CpuColumns(WrkRun run, IEnumerable<string> groups) =>
        string.Join(" / ", groups.Concat([CpuLine.Wrk, CpuLine.Interrupts, CpuLine.Other]).Select(g => CpuText(run, g)));

    public static long Status(WrkRun run, int status) => run.Statuses.GetValueOrDefault(status);

    /// <summary>Answers with a status other than 200, 409, 429 and 503.</summary>
    public static long OtherStatuses(WrkRun run) => run.Statuses.Where(s => !ExpectedStatuses.Contains(s.Key)).Sum(s => s.Value);

    /// <summary>
    /// A run's row: requests/s, p50 and p99 in ms, the answers by status, socket errors, and the cores of each group, wrk,
    /// interrupts and the rest.
    /// </summary>
    public static string RunRow(TextTable table, string name, WrkRun run, IEnumerable<string> cpuGroups) =>
        table.Row(name,
            Fixed(run.RequestsPerSecond ?? 0, 0), Fixed(run.P50Ms ?? 0, 3), Fixed(run.P99Ms ?? 0, 3),
            Count(Status(run, 200)), Count(Status(run, 409)), Count(Status(run, 429)), Count(Status(run, 503)),
            Count(OtherStatuses(run)), Count(run.Errors.Total),
            CpuColumns(run, cpuGroups));

    /// <summary>
    /// Each API node's share of the sell-out's answers (bench/sellout.lua's <c>UPSTREAM &lt;address&gt; &lt;answers&gt; &lt;reserved&gt;</c>
    /// lines), next to its weight's share: "3001 10.2% (w 10%), ...".
    /// </summary>
    public static string UpstreamShares(string selloutOutput, string host, IReadOnlyList<int> ports, IReadOnlyList<int> weights)
    {
        var answers = selloutOutput.Split('\n', StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f is ["UPSTREAM", _, _, ..])
            .GroupBy(f => f[1])
            .ToDictionary(u => u.Key, u => u.Sum(f => double.Parse(f[2], CultureInfo.InvariantCulture)));
        var total = answers.Values.Sum();
        var totalWeight = (double)weights.Sum();
        return string.Join(", ", ports.Select((port, i) =>
            $"{port} {Fixed(total > 0 ? 100 * answers.GetValueOrDefault($"{host}:{port}") / total : 0, 1)}% (w {Fixed(100 * weights[i] / totalWeight, 0)}%)"));
    }

    /// <summary>The CPU of the server processes (every group but wrk, interrupts and the rest) during a run, in ms per 200 answer.</summary>
    public static double? CpuMillisecondsPerAnswer(WrkRun run)
    {
        var answered = Status(run, 200);
        var cores = run.Cpu.Where(c => c.Group is not (CpuLine.Wrk or CpuLine.Interrupts or CpuLine.Other)).Sum(c => c.Cores);
        return answered > 0 ? cores * (run.Seconds ?? 0) * 1000 / answered : null;
    }

    /// <summary>A NOTE line for each disturbed run, naming it by its label.</summary>
    public static IEnumerable<string> NoisyNotes(IEnumerable<WrkRun> runs) =>
        runs.Where(IsNoisy).Select(run =>
            $"NOTE: other processes used {CpuText(run, CpuLine.Other)} CPU cores during run ({run.Label}): its numbers are disturbed (NOISY); rerun on a quiet machine.");

    /// <summary>A number with <paramref name="decimals"/> decimals, as printf's %.Nf (a tie goes to the even digit).</summary>
    public static string Fixed(double value, int decimals) =>
        Math.Round(value, decimals, MidpointRounding.ToEven).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A ratio or per-unit number with <paramref name="decimals"/> decimals, or n/a when it has none.</summary>
    public static string Fixed(double? value, int decimals) => value is { } v ? Fixed(v, decimals) : NotApplicable;

    /// <summary>A count per ticket held, null without any.</summary>
    public static double? PerTicket(long count, long held) => held > 0 ? (double)count / held : null;

    public static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
