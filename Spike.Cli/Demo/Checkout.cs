using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spike.Sales;

namespace Spike.Cli.Demo;

/// <summary>What the buyers' checkout came to: how many orders were left to expire, and each final answer counted.</summary>
/// <param name="Outcomes">By <c>&lt;action&gt;_&lt;state or status&gt;</c>: <c>pay_paid</c>, <c>cancel_cancelled</c>, <c>pay_already_expired</c>, ... or <c>&lt;action&gt;_gave_up</c>.</param>
public sealed record CheckoutResult(int Orders, int LeftToExpire, IReadOnlyDictionary<string, int> Outcomes)
{
    public int Count(string outcome) => Outcomes.GetValueOrDefault(outcome);

    /// <summary>One <c>key value</c> line per figure, for scripts.</summary>
    public IEnumerable<string> Lines() =>
        [$"orders {Orders}", $"left_to_expire {LeftToExpire}", .. Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")];
}

/// <summary>
/// What buyers do after a sale. Of the reserved answers (in their order), the first <paramref name="payShare"/> pays, the
/// next <paramref name="cancelShare"/> cancels, and the rest do nothing (their orders expire). Each call is retried with
/// backoff while the answer is 429/502/503/504 or the connection fails (paying and cancelling are idempotent), until no
/// call of the checkout has had a final answer for <paramref name="giveUpAfter"/> (default a minute): buyers wait out a
/// node's failover, and a cluster that is gone ends the checkout in that time, not in that time per buyer.
/// </summary>
public sealed class Checkout(Uri url, double payShare, double cancelShare, TimeSpan? giveUpAfter = null)
{
    private const int Concurrency = 32;
    private readonly TimeSpan _giveUpAfter = giveUpAfter ?? TimeSpan.FromSeconds(60);

    /// <summary>Why the shares cannot be used; null when they can.</summary>
    public static string? SharesProblem(double payShare, double cancelShare) =>
        payShare is < 0 or > 1 || cancelShare is < 0 or > 1 || payShare + cancelShare > 1
            ? "the pay and cancel shares are between 0 and 1 and add up to at most 1"
            : null;

    public async Task<CheckoutResult> RunAsync(IReadOnlyList<ReservedAnswer> orders, CancellationToken cancellationToken = default)
    {
        var paying = (int)Math.Round(orders.Count * payShare);
        var cancelling = Math.Min(orders.Count - paying, (int)Math.Round(orders.Count * cancelShare));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, UseProxy = false }) { BaseAddress = url };
        using var gate = new SemaphoreSlim(Concurrency);
        var progress = new Progress(_giveUpAfter);
        var outcomes = await Task.WhenAll(orders.Take(paying + cancelling).Select(async (order, i) =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var action = i < paying ? "pay" : "cancel";
                return $"{action}_{await SendAsync(http, action, order, progress, cancellationToken)}";
            }
            finally
            {
                gate.Release();
            }
        }));
        return new CheckoutResult(orders.Count, orders.Count - paying - cancelling,
            outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));
    }

    /// <summary>The final answer's status (<c>paid</c>, <c>cancelled</c>, <c>already_expired</c>, ...), or <c>gave_up</c>.</summary>
    private static async Task<string> SendAsync(HttpClient http, string action, ReservedAnswer order, Progress progress, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        while (!progress.Stalled)
        {
            try
            {
                using var response = await http.PostAsJsonAsync($"/orders/{order.OrderId}/{action}", new { user = order.User }, cancellationToken);
                if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                    or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                    progress.Answered();
                    var key = response.IsSuccessStatusCode ? "state" : "status";
                    return body.TryGetProperty(key, out var value) ? value.GetString() ?? "unknown" : $"http_{(int)response.StatusCode}";
                }
            }
            catch (HttpRequestException)
            {
                // The node went away mid-call: retry, the call is idempotent.
            }
            await Task.Delay(backoff, cancellationToken);
            backoff = TimeSpan.FromMilliseconds(Math.Min(1000, backoff.TotalMilliseconds * 2));
        }
        return "gave_up";
    }

    /// <summary>When a call of the checkout last had a final answer.</summary>
    private sealed class Progress(TimeSpan giveUpAfter)
    {
        private long _lastAnswerMs = Environment.TickCount64;

        public bool Stalled => Environment.TickCount64 - Volatile.Read(ref _lastAnswerMs) > giveUpAfter.TotalMilliseconds;

        public void Answered() => Volatile.Write(ref _lastAnswerMs, Environment.TickCount64);
    }
}
