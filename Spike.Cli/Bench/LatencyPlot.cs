using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Spike.Cli.Bench;

/// <summary>
/// A PNG of each run's latency percentiles, one line per run. x: the percentile on a "nines" scale (50, 90, 99, 99.9 and
/// 99.99 evenly apart: -log10(1 - p/100)), so the tail gets as much room as the median; y: milliseconds on a log scale,
/// so a sub-millisecond run and one whose tail reaches seconds both stay readable.
/// </summary>
public static class LatencyPlot
{
    public const int Width = 1000;
    public const int Height = 600;
    private static readonly double[] LabelledPercentiles = [50, 75, 90, 95, 99, 99.9, 99.99];

    /// <summary>
    /// Writes the plot of the <paramref name="runs"/> with latency percentiles (the others have no line); writes nothing
    /// and returns false when none has any.
    /// </summary>
    public static bool TryWritePng(IEnumerable<WrkRun> runs, string title, string path)
    {
        // a percentile of 0 ms (a run without answers) has no place on a log scale
        var lines = runs
            .Select(run => (run.Label, Points: run.Latency.Where(p => p.Milliseconds > 0).ToArray()))
            .Where(run => run.Points.Length > 0)
            .ToArray();
        if (lines.Length == 0)
        {
            return false;
        }
        using var plot = new Plot();
        foreach (var (label, points) in lines)
        {
            var line = plot.Add.Scatter(
                points.Select(p => Nines(p.Percentile)).ToArray(),
                points.Select(p => Math.Log10(p.Milliseconds)).ToArray());
            line.LegendText = label;
            line.LineWidth = 2;
            line.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel("percentile");
        plot.YLabel("latency, ms (log scale)");
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            [.. LabelledPercentiles.Select(Nines)],
            [.. LabelledPercentiles.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        plot.Axes.Left.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("0.###", CultureInfo.InvariantCulture),
        };
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.15);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.06);
        plot.Grid.MinorLineWidth = 1; // the log scale's 2..9 ms lines, hidden by default
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
        return true;
    }

    /// <summary>How many nines a percentile has: 90 → 1, 99 → 2, 99.9 → 3.</summary>
    public static double Nines(double percentile) => -Math.Log10(1 - percentile / 100);
}
