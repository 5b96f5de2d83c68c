namespace Spike.Cli.Bench;

/// <summary>A buy to send again, as its buyer would: the same user, the same requestId.</summary>
public sealed record Replay(string User, string RequestId);

/// <summary>What the replays got: how many were sent, how many were answered 200, how many got no final answer.</summary>
public sealed record ReplayOutcome(int Count, int Reserved, int Unresolved)
{
    public static ReplayOutcome None { get; } = new(0, 0, 0);
}

/// <summary>
/// The buys wrk left without a final answer, retried with their user and requestId until each gets one (3 rounds at
/// most): bench/spike.lua's <c>PENDING &lt;thread&gt;-&lt;n&gt;</c> lines (buy-track: no 200 seen, answered otherwise or cut
/// off in flight) and bench/sellout.lua's <c>RETRY &lt;requestId&gt;</c> lines (answered 429 or 503).
/// </summary>
public static class Replays
{
    private const int Rounds = 3;
    private static readonly TimeSpan BetweenRounds = TimeSpan.FromSeconds(1);

    /// <summary>The PENDING lines' buys: spike.lua's users are <c>&lt;userPrefix&gt;-&lt;thread&gt;-&lt;n&gt;</c>, their requestIds <c>r&lt;user&gt;</c>.</summary>
    public static IReadOnlyList<Replay> Pending(string wrkOutput, string userPrefix) =>
        [.. Values(wrkOutput, "PENDING ").Select(n => userPrefix + "-" + n).Select(user => new Replay(user, "r" + user))];

    /// <summary>The RETRY lines' buys: the requestId is <c>r&lt;user&gt;</c>.</summary>
    public static IReadOnlyList<Replay> Retries(string wrkOutput) =>
        [.. Values(wrkOutput, "RETRY ").Select(id => new Replay(id.StartsWith('r') ? id[1..] : id, id))];

    /// <summary>200 reserved, 409 sold out or limit reached, 404 and 400 refused: 429, 503 and no answer are worth another try.</summary>
    public static bool IsFinal(int status) => status is 200 or 409 or 404 or 400;

    /// <summary>
    /// Sends each buy (GET /buy/ticket) until it gets a final answer, 3 rounds at most, a second apart; a status of 0
    /// stands for no answer.
    /// </summary>
    public static async Task<ReplayOutcome> SendAsync(HttpClient http, Uri baseUrl, string sale, IReadOnlyList<Replay> replays, CancellationToken cancel)
    {
        var answers = new int[replays.Count];
        for (var round = 1; round <= Rounds; round++)
        {
            var open = Enumerable.Range(0, replays.Count).Where(i => !IsFinal(answers[i])).ToArray();
            if (open.Length == 0)
            {
                break;
            }
            if (round > 1)
            {
                await Task.Delay(BetweenRounds, cancel);
            }
            await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancel }, async (i, token) =>
                answers[i] = await HttpProbe.StatusAsync(http, BuyUrl(baseUrl, sale, replays[i].User, replays[i].RequestId), token));
        }
        return new ReplayOutcome(replays.Count, answers.Count(a => a == 200), answers.Count(a => !IsFinal(a)));
    }

    /// <summary>GET /buy/ticket for one buyer; without a requestId, nginx adds its own.</summary>
    public static Uri BuyUrl(Uri baseUrl, string sale, string user, string? requestId = null) =>
        new(baseUrl, $"/buy/ticket?sale={Uri.EscapeDataString(sale)}&user={Uri.EscapeDataString(user)}"
            + (requestId is null ? "" : $"&requestId={Uri.EscapeDataString(requestId)}"));

    private static IEnumerable<string> Values(string wrkOutput, string prefix) =>
        wrkOutput.Split('\n', StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l[prefix.Length..].Trim())
            .Where(v => v.Length > 0);
}

/// <summary>HTTP as the bench's own probes use it.</summary>
public static class HttpProbe
{
    /// <summary>The status of one GET, 0 when nothing answered in time.</summary>
    public static async Task<int> StatusAsync(HttpClient http, Uri url, CancellationToken cancel)
    {
        try
        {
            using var response = await http.GetAsync(url, cancel);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return 0;
        }
    }
}
