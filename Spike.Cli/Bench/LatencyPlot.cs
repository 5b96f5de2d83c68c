using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Spike.Cli.Bench;

/// <summary>
/// An SVG of each run's latency percentiles, one line per run. x: the percentile on a "nines" scale (50, 90, 99, 99.9 and
/// 99.99 evenly apart: -log10(1 - p/100)), so the tail gets as much room as the median; y: milliseconds on a log scale,
/// so a sub-millisecond run and one whose tail reaches seconds both stay readable. Written by hand: a plotting library
/// brings native graphics libraries for every platform, and made the tool 17 times bigger.
/// </summary>
public static class LatencyPlot
{
    private const int Width = 1000;
    private const int Height = 600;
    private const double Left = 80, Top = 50, PlotWidth = Width - Left - 20, PlotHeight = Height - Top - 60;
    private const string GridColour = "#ddd";
    private static readonly double[] LabelledPercentiles = [50, 75, 90, 95, 99, 99.9, 99.99];
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>
    /// Writes the plot of the <paramref name="runs"/> with latency percentiles (the others have no line); writes nothing
    /// and returns false when none has any.
    /// </summary>
    public static bool TryWriteSvg(IEnumerable<WrkRun> runs, string title, string path)
    {
        // 0 ms (a run without answers) has no place on a log scale, the 100th percentile none on the nines scale
        var lines = runs
            .Select(run => (run.Label, Points: run.Latency.Where(p => p.Milliseconds > 0 && p.Percentile < 100).ToArray()))
            .Where(run => run.Points.Length > 0)
            .ToArray();
        if (lines.Length == 0)
        {
            return false;
        }
        var points = lines.SelectMany(line => line.Points).ToArray();
        var percentiles = LabelledPercentiles.Concat(points.Select(p => p.Percentile)).ToArray();
        var (leftNines, rightNines) = (Nines(percentiles.Min()), Nines(percentiles.Max()));
        var lowDecade = (int)Math.Floor(points.Min(p => Math.Log10(p.Milliseconds)));
        var highDecade = Math.Max((int)Math.Ceiling(points.Max(p => Math.Log10(p.Milliseconds))), lowDecade + 1);
        double X(double percentile) => Left + (Nines(percentile) - leftNines) / (rightNines - leftNines) * PlotWidth;
        double Y(double ms) => Top + PlotHeight - (Math.Log10(ms) - lowDecade) / (highDecade - lowDecade) * PlotHeight;

        var svg = new XElement(Svg + "svg",
            Attributes(("width", Width), ("height", Height), ("viewBox", $"0 0 {Width} {Height}"), ("font-family", "sans-serif"), ("font-size", 12)),
            new XElement(Svg + "rect", Attributes(("width", Width), ("height", Height), ("fill", "white"))),
            Text(Width / 2.0, 30, title, "middle", ("font-size", 18)),
            new XElement(Svg + "g", Attributes(("class", "percentiles")), LabelledPercentiles.Select(p => new[]
            {
                Line(X(p), Top, X(p), Top + PlotHeight, GridColour),
                Text(X(p), Top + PlotHeight + 18, p.ToString(CultureInfo.InvariantCulture), "middle"),
            })),
            new XElement(Svg + "g", Attributes(("class", "decades")), Enumerable.Range(lowDecade, highDecade - lowDecade + 1)
                .Select(decade => Math.Pow(10, decade))
                .Select(ms => new[]
                {
                    Line(Left, Y(ms), Left + PlotWidth, Y(ms), GridColour),
                    Text(Left - 8, Y(ms) + 4, ms.ToString(CultureInfo.InvariantCulture), "end"),
                })),
            new XElement(Svg + "rect", Attributes(("x", Left), ("y", Top), ("width", PlotWidth), ("height", PlotHeight), ("fill", "none"), ("stroke", "#333"))),
            Text(Left + PlotWidth / 2, Height - 15, "percentile", "middle"),
            Text(-(Top + PlotHeight / 2), 20, "latency, ms (log scale)", "middle", ("transform", "rotate(-90)")),
            lines.Select((line, i) => new XElement(Svg + "g",
                new XElement(Svg + "polyline", Attributes(("fill", "none"), ("stroke", Colour(i)), ("stroke-width", 2),
                    ("points", string.Join(" ", line.Points.Select(p => $"{Number(X(p.Percentile))},{Number(Y(p.Milliseconds))}"))))),
                line.Points.Select(p => Marker(X(p.Percentile), Y(p.Milliseconds), Colour(i))))),
            // upper left: latency grows to the right, so the lines rarely pass there
            new XElement(Svg + "g", Attributes(("class", "legend")), lines.Select((line, i) => new[]
            {
                Line(Left + 12, Top + 20 + i * 18, Left + 36, Top + 20 + i * 18, Colour(i)),
                Marker(Left + 24, Top + 20 + i * 18, Colour(i)),
                Text(Left + 44, Top + 24 + i * 18, line.Label, "start"),
            })));
        File.WriteAllText(path, svg + "\n"); // UTF-8 without a byte order mark
        return true;
    }

    /// <summary>How many nines a percentile has: 90 → 1, 99 → 2, 99.9 → 3.</summary>
    public static double Nines(double percentile) => -Math.Log10(1 - percentile / 100);

    private static string Colour(int line) => Colours[line % Colours.Length];

    private static XElement Line(double x1, double y1, double x2, double y2, string colour) =>
        new(Svg + "line", Attributes(("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2), ("stroke", colour)));

    private static XElement Marker(double x, double y, string colour) =>
        new(Svg + "circle", Attributes(("cx", x), ("cy", y), ("r", 3.5), ("fill", colour)));

    /// <summary>XElement escapes &lt;, &amp; and quotes; what XML cannot hold at all (a file name's control characters) becomes U+FFFD.</summary>
    private static XElement Text(double x, double y, string text, string anchor, params (string Name, object Value)[] more) =>
        new(Svg + "text", Attributes([("x", x), ("y", y), ("text-anchor", anchor), .. more]),
            new string([.. text.Select(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c : '\uFFFD')]));

    /// <summary>Numbers to a tenth of a pixel, with a dot whatever the culture.</summary>
    private static IEnumerable<XAttribute> Attributes(params (string Name, object Value)[] attributes) =>
        attributes.Select(a => new XAttribute(a.Name, a.Value is double number ? Number(number) : a.Value));

    private static string Number(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
