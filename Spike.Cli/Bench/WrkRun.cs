using System.Globalization;

namespace Spike.Cli.Bench;

/// <summary>wrk's socket errors during a run (RESULT <c>err_connect= err_read= err_write= err_timeout=</c>).</summary>
public sealed record WrkSocketErrors(long Connect, long Read, long Write, long Timeout)
{
    public long Total => Connect + Read + Write + Timeout;
}

/// <summary>One point of a run's latency distribution: <see cref="Percentile"/> percent of the answers took at most <see cref="Milliseconds"/>.</summary>
public sealed record LatencyPercentile(double Percentile, double Milliseconds);

/// <summary>The CPU cores one group of processes used during a run (a field of the CPU line the bench appends, <see cref="CpuLine"/>).</summary>
public sealed record CpuShare(string Group, double Cores);

/// <summary>
/// One wrk run of a bench, read from the <c>&lt;label&gt;.out</c> file the bench keeps: wrk's own output, the RESULT line
/// that bench/spike.lua or bench/sellout.lua prints (a key only one of the scripts prints is null for the other's runs)
/// and the CPU line the bench appends (<c>CPU &lt;group&gt;=&lt;cores&gt; ... wrk= irq= other=</c>).
/// </summary>
public sealed record WrkRun(
    string Label,
    long? Requests,
    double? Seconds,
    double? RequestsPerSecond,
    double? P50Ms,
    double? P90Ms,
    double? P99Ms,
    double? MaxMs,
    long? Sent,
    long? Answered,
    long? Pending,
    long? Retried,
    IReadOnlyDictionary<int, long> Statuses,
    WrkSocketErrors Errors,
    IReadOnlyList<LatencyPercentile> Latency,
    IReadOnlyList<CpuShare> Cpu)
{
    public const string FileExtension = ".out";

    /// <summary>Runs whose label starts with it only settle the JIT and caches before the measured ones.</summary>
    public const string WarmupPrefix = "warm-";
    private const string ResultPrefix = "RESULT ";
    private const string CpuPrefix = "CPU ";

    /// <summary>Reads <paramref name="path"/>; its label is the file name without <c>.out</c>.</summary>
    /// <exception cref="FormatException">no RESULT line, or a value that is not a number</exception>
    public static WrkRun Read(string path) =>
        Parse(Path.GetFileNameWithoutExtension(path), File.ReadAllText(path), path);

    /// <param name="source">names the output in error messages (its file)</param>
    /// <exception cref="FormatException">no RESULT line, or a value that is not a number</exception>
    public static WrkRun Parse(string label, string output, string source)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        var resultLine = lines.FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal))
            ?? throw new FormatException(
                $"{source}: no RESULT line. The wrk scripts (bench/spike.lua, bench/sellout.lua) print it when wrk ends; " +
                "wrk failed, was killed, or ran another script.");
        var result = new LineFields(source, "RESULT", resultLine[ResultPrefix.Length..]);
        var cpuLine = lines.FirstOrDefault(l => l.StartsWith(CpuPrefix, StringComparison.Ordinal));
        var cpu = cpuLine is null ? null : new LineFields(source, "CPU", cpuLine[CpuPrefix.Length..]);
        var latency = ParseLatency(source, result.Text("latency_ms"));

        return new WrkRun(
            label,
            Requests: result.Long("requests"),
            Seconds: result.Double("seconds"),
            RequestsPerSecond: result.Double("rps"),
            P50Ms: result.Double("p50_ms"),
            P90Ms: result.Double("p90_ms"),
            P99Ms: result.Double("p99_ms"),
            MaxMs: result.Double("max_ms") ?? latency.Max,
            Sent: result.Long("sent"),
            Answered: result.Long("answered"),
            Pending: result.Long("pending"),
            Retried: result.Long("retry"),
            Statuses: new SortedDictionary<int, long>(result.Pairs
                .Where(p => IsStatusKey(p.Key))
                .ToDictionary(p => int.Parse(p.Key.AsSpan(1), CultureInfo.InvariantCulture), result.Long)),
            Errors: new WrkSocketErrors(
                result.Long("err_connect") ?? 0, result.Long("err_read") ?? 0, result.Long("err_write") ?? 0, result.Long("err_timeout") ?? 0),
            Latency: latency.Percentiles,
            Cpu: cpu is null ? [] : [.. cpu.Pairs.Select(p => new CpuShare(p.Key, cpu.Double(p)))]);
    }

    /// <summary><c>s&lt;code&gt;</c>, an HTTP status code's three digits.</summary>
    private static bool IsStatusKey(string key) => key.Length == 4 && key[0] == 's' && !key.AsSpan(1).ContainsAnyExceptInRange('0', '9');

    /// <summary><c>50:3.119,75:3.671,...,max:214.885</c> (bench/wrk-report.lua's append_latency); none in older outputs and sell-out runs.</summary>
    private static (IReadOnlyList<LatencyPercentile> Percentiles, double? Max) ParseLatency(string source, string? text)
    {
        var percentiles = new List<LatencyPercentile>();
        double? max = null;
        foreach (var point in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var where = $"RESULT latency_ms ({point})";
            var colon = point.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"{source}: {where}: not <percentile>:<ms>");
            }
            var milliseconds = ParseDouble(source, where, point[(colon + 1)..]);
            if (point[..colon] == "max")
            {
                max = milliseconds;
            }
            else
            {
                percentiles.Add(new LatencyPercentile(ParseDouble(source, where, point[..colon]), milliseconds));
            }
        }
        return (percentiles, max);
    }

    private static double ParseDouble(string source, string where, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw NotANumber(source, where, text);

    private static long ParseLong(string source, string where, string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw NotANumber(source, where, text);

    private static FormatException NotANumber(string source, string where, string text) =>
        new($"{source}: {where}: '{text}' is not a number");

    /// <summary>The <c>key=value</c> fields of one line (RESULT or CPU), in their order.</summary>
    private sealed class LineFields
    {
        private readonly string source;
        private readonly string line;

        public LineFields(string source, string line, string fields)
        {
            this.source = source;
            this.line = line;
            Pairs = [.. fields.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(field =>
            {
                var equals = field.IndexOf('=', StringComparison.Ordinal);
                return equals > 0
                    ? KeyValuePair.Create(field[..equals], field[(equals + 1)..])
                    : throw new FormatException($"{source}: {line} has '{field}', not key=value");
            })];
        }

        public IReadOnlyList<KeyValuePair<string, string>> Pairs { get; }

        public string? Text(string key) => Pairs.Where(p => p.Key == key).Select(p => p.Value).FirstOrDefault();

        public double? Double(string key) => Text(key) is { } text ? ParseDouble(source, Where(key, text), text) : null;

        public long? Long(string key) => Text(key) is { } text ? ParseLong(source, Where(key, text), text) : null;

        public double Double(KeyValuePair<string, string> pair) => ParseDouble(source, Where(pair.Key, pair.Value), pair.Value);

        public long Long(KeyValuePair<string, string> pair) => ParseLong(source, Where(pair.Key, pair.Value), pair.Value);

        private string Where(string key, string text) => $"{line} {key}={text}";
    }
}
