using System.Xml.Linq;
using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>Writing a bench's results.md, latency.svg and the results index from a bench run directory of real wrk outputs.</summary>
public sealed class BenchReportSpecs : IDisposable
{
    private static readonly BenchMachine Machine = new(2, new DateTimeOffset(2026, 11, 26, 14, 3, 0, TimeSpan.Zero), "abc1234");
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private readonly ScratchDirectory scratch = new();

    private string ResultsRoot => Path.Combine(scratch.Root, "results");

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void Should_write_a_row_per_run_in_run_order_with_the_machine_and_the_bench_table_when_given_a_bench_run_directory()
    {
        var bench = BenchRun.Read(ClusterRun("c1", table: "| check | result |\nAUDIT PASS\n"));

        var files = BenchReport.Write(bench, "cluster bench", ResultsRoot, Machine);

        var results = File.ReadAllLines(files.Results);
        Assert.Equal(Path.Combine(ResultsRoot, "2026-11-26", "results.md"), files.Results);
        Assert.Equal("# cluster bench", results[0]);
        Assert.Contains(results, l => l.StartsWith("2026-11-26 14:03 UTC, 2 cores, commit `abc1234`.", StringComparison.Ordinal));
        Assert.Equal(
            [
                "| p | 1,809 | 3.12 | 4.30 | 7.28 | 214.89 | 200: 5,609 | 0 | 0.62 | 0.05 | 0.11 | 0.41 | 0.02 | 0.07 | – | – | – |",
                "| n | 1,809 | 3.12 | 4.30 | 7.28 | 214.89 | 200: 5,609 | 0 | 0.62 | 0.05 | 0.11 | 0.41 | 0.02 | 0.07 | – | – | – |",
                "| s | – | – | – | – | – | 404: 3,768 | 0 | – | – | 0.01 | 0.48 | 0.01 | 0.93 | 0.00 | 0.00 | 0.00 |",
            ],
            results.Where(l => l.StartsWith("| p |", StringComparison.Ordinal) || l.StartsWith("| n |", StringComparison.Ordinal)
                || l.StartsWith("| s |", StringComparison.Ordinal)));
        Assert.Contains("| run | req/s | p50 | p90 | p99 | max | statuses | socket errors | CPU node | CPU rest | CPU redis | CPU wrk | CPU irq | CPU other | CPU api | CPU inventory | CPU nginx |", results);
        Assert.Contains("![latency percentiles of each run](latency.svg)", results);
        Assert.Contains("AUDIT PASS", results);
    }

    [Fact]
    public void Should_leave_the_warm_up_runs_out_when_reading_a_bench_run_directory()
    {
        var directory = BenchSamples.RunDirectory(scratch.Root, "w1",
            [(WrkRun.WarmupPrefix + "buy", BenchSamples.Ping), ("p", BenchSamples.Ping), (WrkRun.WarmupPrefix + "g", BenchSamples.Ping), ("n", BenchSamples.Ping)], table: null);

        var bench = BenchRun.Read(directory);

        Assert.Equal(["p", "n"], bench.Runs.Select(r => r.Label));
    }

    [Fact]
    public void Should_write_an_svg_with_a_line_per_run_with_latency_percentiles_and_their_labels_in_the_legend()
    {
        // labels are file names: XML's special characters, and a control character XML cannot hold at all
        var bench = BenchRun.Read(BenchSamples.RunDirectory(scratch.Root, "c1",
            [("p", BenchSamples.Ping), ("n<&>\"'", BenchSamples.Ping), ("s", BenchSamples.Sellout), ("b\u0001", BenchSamples.Ping)]));

        var files = BenchReport.Write(bench, "cluster bench", ResultsRoot, Machine);

        Assert.NotNull(files.Plot);
        var svg = XDocument.Parse(File.ReadAllText(files.Plot)).Root!;
        Assert.Equal(Svg + "svg", svg.Name);
        Assert.Equal(3, svg.Descendants(Svg + "polyline").Count());
        Assert.Equal(["p", "n<&>\"'", "b\uFFFD"], Labels(svg, "legend"));
    }

    [Fact]
    public void Should_label_the_percentiles_and_the_decades_the_latency_spans_when_writing_the_svg()
    {
        var files = BenchReport.Write(BenchRun.Read(ClusterRun("c1")), "cluster bench", ResultsRoot, Machine);

        var svg = XDocument.Load(files.Plot!).Root!;
        Assert.Equal(["50", "75", "90", "95", "99", "99.9", "99.99"], Labels(svg, "percentiles"));
        Assert.Equal(["1", "10", "100", "1000"], Labels(svg, "decades")); // ping.out: 3.119 ms to 214.885 ms
    }

    [Fact]
    public void Should_write_no_plot_when_no_run_has_latency_percentiles()
    {
        var bench = BenchRun.Read(BenchSamples.RunDirectory(scratch.Root, "c1", [("s", BenchSamples.Sellout)]));

        var files = BenchReport.Write(bench, "sell-out", ResultsRoot, Machine);

        Assert.Null(files.Plot);
        Assert.False(File.Exists(Path.Combine(files.Directory, BenchReport.PlotFileName)));
        Assert.DoesNotContain("latency.svg", File.ReadAllText(files.Results), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_add_a_numbered_folder_and_point_the_index_to_it_when_a_second_bench_reports_the_same_day()
    {
        var first = BenchReport.Write(BenchRun.Read(ClusterRun("c1")), "first bench", ResultsRoot, Machine);
        var firstResults = File.ReadAllText(first.Results);

        var second = BenchReport.Write(BenchRun.Read(ClusterRun("c2")), "second bench", ResultsRoot, Machine with { Date = Machine.Date.AddHours(1) });

        Assert.Equal(Path.Combine(ResultsRoot, "2026-11-26-2"), second.Directory);
        Assert.Equal(firstResults, File.ReadAllText(first.Results));
        Assert.StartsWith("# second bench", File.ReadAllText(second.Results), StringComparison.Ordinal);
        var index = File.ReadAllLines(Path.Combine(ResultsRoot, BenchReport.IndexFileName));
        Assert.Equal(BenchReport.IndexHeading, index[0]);
        Assert.Contains("Latest: [2026-11-26-2](2026-11-26-2/results.md), second bench.", index);
        Assert.Equal(
            ["- [2026-11-26-2](2026-11-26-2/results.md)", "- [2026-11-26](2026-11-26/results.md)"],
            index.Where(l => l.StartsWith("- [", StringComparison.Ordinal)));
    }

    [Fact]
    public void Should_fail_naming_the_file_when_a_run_of_the_bench_has_no_RESULT_line()
    {
        var run = ClusterRun("c1");
        var broken = Path.Combine(run, "g.out");
        File.WriteAllText(broken, "Running 10s test @ http://127.0.0.1:8081\n  2 threads and 100 connections\n");

        var error = Assert.Throws<FormatException>(() => BenchRun.Read(run));

        Assert.StartsWith(broken + ": no RESULT line.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_leave_the_readme_alone_when_the_results_folder_has_one_that_is_not_a_results_index()
    {
        Directory.CreateDirectory(ResultsRoot);
        var readme = Path.Combine(ResultsRoot, BenchReport.IndexFileName);
        File.WriteAllText(readme, "# My notes\n");

        Assert.Throws<IOException>(() => BenchReport.Write(BenchRun.Read(ClusterRun("c1")), "bench", ResultsRoot, Machine));

        Assert.Equal("# My notes\n", File.ReadAllText(readme));
        Assert.Empty(Directory.GetDirectories(ResultsRoot));
    }

    private static IEnumerable<string> Labels(XElement svg, string group) =>
        svg.Elements(Svg + "g").Single(g => (string?)g.Attribute("class") == group).Elements(Svg + "text").Select(t => t.Value);

    /// <summary>A cluster bench's runs as they ran: (p) and (n) from spike.lua, then the sell-out (s).</summary>
    private string ClusterRun(string name, string? table = null) =>
        BenchSamples.RunDirectory(scratch.Root, name, [("p", BenchSamples.Ping), ("n", BenchSamples.Ping), ("s", BenchSamples.Sellout)], table);
}
