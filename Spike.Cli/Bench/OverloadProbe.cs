using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Spike.Cli.Bench;

/// <summary>
/// One buy of the overload probe: when it was sent (seconds from the probe's start), how long its answer took, its HTTP
/// status (0: no answer within the probe's timeout, or the connection failed) and the answer's <c>status</c> field.
/// </summary>
public sealed record ProbeAnswer(double SentAtSeconds, double Milliseconds, int Status, string? BuyStatus)
{
    /// <summary>The buy got past admission control and the buy path decided it: 200 reserved, 409 sold out (or another refusal).</summary>
    public bool Admitted => Status is 200 or 409;

    /// <summary>409 <c>sold_out</c>: admitted, and refused because nothing is left.</summary>
    public bool SoldOut => Status == 409 && BuyStatus == "sold_out";
}

/// <summary>What the probe's answers came to: counts by kind and latency percentiles (ms) of the admitted and refused ones.</summary>
public sealed record ProbeSummary(
    int Sent, int Reserved, int SoldOut, int OtherRefusals, int Busy, int ServerErrors, int NoAnswer, int Unexpected,
    double? AdmittedP50Ms, double? AdmittedP99Ms, double? ReservedP99Ms, double? SoldOutP99Ms, double? BusyP99Ms, double? MaxMs)
{
    public static ProbeSummary Of(IReadOnlyCollection<ProbeAnswer> answers)
    {
        double[] Times(Func<ProbeAnswer, bool> which) => [.. answers.Where(which).Select(a => a.Milliseconds)];
        var admitted = Times(a => a.Admitted);
        var busy = Times(a => a.Status == 429);
        return new ProbeSummary(
            Sent: answers.Count,
            Reserved: answers.Count(a => a.Status == 200),
            SoldOut: answers.Count(a => a.SoldOut),
            OtherRefusals: answers.Count(a => a.Status == 409 && !a.SoldOut),
            Busy: busy.Length,
            ServerErrors: answers.Count(a => a.Status >= 500),
            NoAnswer: answers.Count(a => a.Status == 0),
            Unexpected: answers.Count(a => a.Status is not (0 or 200 or 409 or 429) and < 500),
            AdmittedP50Ms: Percentile(admitted, 50),
            AdmittedP99Ms: Percentile(admitted, 99),
            ReservedP99Ms: Percentile(Times(a => a.Status == 200), 99),
            SoldOutP99Ms: Percentile(Times(a => a.SoldOut), 99),
            BusyP99Ms: Percentile(busy, 99),
            MaxMs: answers.Count > 0 ? answers.Max(a => a.Milliseconds) : null);
    }

    /// <summary>The nearest-rank percentile: the smallest value that at least <paramref name="percent"/> % of them do not exceed; null for none.</summary>
    public static double? Percentile(IReadOnlyCollection<double> values, double percent)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}

/// <summary>
/// The overload bench's own buyer: an open-loop stream of buys at a fixed rate, each a new user with its own requestId,
/// each timed on its own (wrk's Lua cannot time one request). It does not wait for an answer before sending the next, so
/// a slow node cannot slow the probe down and hide its own latency.
/// </summary>
public static class OverloadProbe
{
    public const string FileName = "probe.tsv";

    /// <summary>Longer than the node's request timeout (5 s): a buy still unanswered then is counted as no answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends <paramref name="perSecond"/> buys a second for <paramref name="duration"/>, then waits for their answers.</summary>
    /// <param name="buyUrl">the buy of the n-th probe request</param>
    public static async Task<IReadOnlyList<ProbeAnswer>> RunAsync(HttpClient http, Func<int, Uri> buyUrl, int perSecond, TimeSpan duration, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1.0 / perSecond);
        var buys = new List<Task<ProbeAnswer>>();
        for (var n = 0; interval * n < duration; n++)
        {
            var wait = interval * n - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancel);
            }
            buys.Add(BuyAsync(http, buyUrl(n), clock, cancel));
        }
        return await Task.WhenAll(buys);
    }

    private static async Task<ProbeAnswer> BuyAsync(HttpClient http, Uri url, Stopwatch clock, CancellationToken cancel)
    {
        var sentAt = clock.Elapsed;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(Timeout);
        try
        {
            using var answer = await http.GetAsync(url, timeout.Token);
            var body = await answer.Content.ReadAsStringAsync(timeout.Token);
            return new ProbeAnswer(sentAt.TotalSeconds, (clock.Elapsed - sentAt).TotalMilliseconds, (int)answer.StatusCode, BuyStatus(body));
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            return new ProbeAnswer(sentAt.TotalSeconds, (clock.Elapsed - sentAt).TotalMilliseconds, 0, null);
        }
    }

    /// <summary>The answer's JSON <c>status</c> field, null when the body has none.</summary>
    public static string? BuyStatus(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.String
                ? status.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One line per buy, tab-separated, under a header: the raw data behind the table's probe figures.</summary>
    public static IEnumerable<string> Lines(IEnumerable<ProbeAnswer> answers) =>
        answers.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.SentAtSeconds:0.000}\t{a.Milliseconds:0.000}\t{a.Status}\t{a.BuyStatus ?? "-"}"))
            .Prepend("sent_at_s\tms\thttp_status\tbuy_status");
}
