using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Spike.Sales;

namespace Spike.Cli.Flash;

/// <summary>
/// A flash-sale crowd. Every buyer is a new user (<c>&lt;prefix&gt;-&lt;n&gt;</c>) with its own request id
/// (<c>r&lt;prefix&gt;-&lt;n&gt;</c>) and buys one ticket with <c>GET /buy/ticket</c>. Like a real client it asks until
/// it has a final answer:
/// <list type="bullet">
/// <item>200 <c>{"status":"reserved"}</c> and 409 <c>{"status":"sold_out"|"limit_reached"}</c> are final;</item>
/// <item>429, 502, 503, 504, lost connections and timeouts are retried with the same request id, so a retry is the
/// same purchase and never a second ticket: after <c>Retry-After</c> (at most 1 s) for 429 and 503, after a short
/// growing pause otherwise;</item>
/// <item>anything else is final and counted as <see cref="FlashOutcomes.UnexpectedPrefix"/>;</item>
/// <item>a buyer without a final answer after <see cref="FlashOptions.BuyerDeadline"/> gives up.</item>
/// </list>
/// <see cref="FlashOptions.Concurrency"/> buyers ask at a time, each with one request in flight on a keep-alive
/// connection. Meanwhile the sale's counts are read from the admin API until it shows nothing available: the sell-out
/// time. Answers are counted per API node from <c>X-Spike-Upstream</c> (nginx's), before and after the halfway mark.
/// </summary>
/// <remarks>One run per instance. It prints nothing: progress goes to the callback, the halfway mark to <see cref="Halfway"/>.</remarks>
public sealed class FlashCrowd
{
    private const string UpstreamHeader = "X-Spike-Upstream";
    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the sell-out poller may still look once every buyer is done: the last ticket just went.</summary>
    private static readonly TimeSpan SoldOutGrace = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan LongestRetryPause = TimeSpan.FromSeconds(1);

    private readonly FlashOptions _options;
    private readonly Action<FlashProgress>? _onProgress;
    private readonly FlashTally _tally;
    private int _started;
    private int _lastBuyerTaken;

    /// <param name="onProgress">Called every <see cref="FlashOptions.ProgressInterval"/> and once when the buyers are done.</param>
    /// <exception cref="ArgumentException">The options have <see cref="FlashOptions.Problems"/>.</exception>
    public FlashCrowd(FlashOptions options, Action<FlashProgress>? onProgress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problems().FirstOrDefault() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        _options = options;
        _onProgress = onProgress;
        _tally = new FlashTally(options);
    }

    /// <summary>
    /// Completes the moment the reserved answers reach <see cref="FlashOptions.Halfway"/> (the moment to kill nodes),
    /// or with null when the run ends without reaching it.
    /// </summary>
    public Task<FlashHalfway?> Halfway => _tally.Halfway;

    /// <summary>Runs the crowd until every buyer is done or <see cref="FlashOptions.MaxDuration"/> passed.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> stopped the run; there is no result.</exception>
    public async Task<FlashResult> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A flash crowd runs once; make a new one.");
        }
        try
        {
            return await RunBuyersAsync(cancellationToken);
        }
        finally
        {
            _tally.CloseHalfway();
        }
    }

    private async Task<FlashResult> RunBuyersAsync(CancellationToken cancellationToken)
    {
        using var buyersClient = CreateClient(_options.Url, _options.Concurrency, _options.RequestTimeout);
        using var adminClient = CreateClient(_options.AdminUrl ?? _options.Url, 1, PollTimeout);
        using var stopBuyers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatchers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _tally.Start();
        stopBuyers.CancelAfter(_options.MaxDuration);
        var soldOutWatcher = WatchForSoldOutAsync(adminClient, stopWatchers.Token);
        var progressReporter = ReportProgressAsync(stopWatchers.Token);
        TimeSpan elapsed;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, _options.Concurrency).Select(_ => BuyInTurnAsync(buyersClient, stopBuyers.Token)));
            elapsed = _tally.Elapsed;
            await Task.WhenAny(soldOutWatcher, Task.Delay(SoldOutGrace, cancellationToken));
        }
        finally
        {
            await stopWatchers.CancelAsync();
            await Task.WhenAll(soldOutWatcher, progressReporter);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return _tally.Result(elapsed);
    }

    /// <summary>Takes the next buyer and buys until there is none left; stopped, the buyer at hand stays unfinished.</summary>
    private async Task BuyInTurnAsync(HttpClient client, CancellationToken stop)
    {
        try
        {
            for (var n = Interlocked.Increment(ref _lastBuyerTaken); n <= _options.Buyers; n = Interlocked.Increment(ref _lastBuyerTaken))
            {
                _tally.Finished(await BuyAsync(client, n, stop));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over (its duration passed, or it was cancelled): the buyer at hand counts as unfinished.
        }
    }

    /// <summary>Buyer <paramref name="n"/> asks until it has a final answer; returns its outcome (<see cref="FlashOutcomes"/>).</summary>
    private async Task<string> BuyAsync(HttpClient client, int n, CancellationToken stop)
    {
        var user = $"{_options.EffectiveUserPrefix}-{n}";
        var path = $"/buy/ticket?sale={Uri.EscapeDataString(_options.Sale)}&user={Uri.EscapeDataString(user)}&requestId=r{Uri.EscapeDataString(user)}";
        var deadline = _tally.Elapsed + _options.BuyerDeadline;
        for (var attempt = 1; ; attempt++)
        {
            _tally.Sent(retry: attempt > 1);
            var phase = _tally.Phase;
            var pause = GrowingPause(attempt);
            try
            {
                using var response = await client.GetAsync(path, stop);
                var (pickedFirst, answeredBy) = Upstreams(response);
                var status = (int)response.StatusCode;
                _tally.Answered(status, pickedFirst, answeredBy, phase);
                if (status is 200 or 409)
                {
                    return await FinalOutcomeAsync(response, user, answeredBy, phase, stop);
                }
                if (status is not (429 or 502 or 503 or 504))
                {
                    return $"{FlashOutcomes.UnexpectedPrefix}:{status}";
                }
                if (status is 429 or 503)
                {
                    pause = RetryAfter(response);
                }
            }
            catch (Exception e) when (IsNoAnswer(e, stop))
            {
                _tally.NoAnswer();
            }
            if (_tally.Elapsed + pause > deadline)
            {
                return FlashOutcomes.GaveUp;
            }
            // Jittered, so the buyers that failed together do not come back together.
            await Task.Delay(pause * (0.5 + (Random.Shared.NextDouble() / 2)), stop);
        }
    }

    private async Task<string> FinalOutcomeAsync(HttpResponseMessage response, string user, string answeredBy, FlashPhase phase, CancellationToken stop)
    {
        string outcome;
        var orderId = "";
        try
        {
            using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(stop), cancellationToken: stop);
            var root = answer.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("not an object");
            }
            outcome = root.TryGetProperty("status", out var status) ? status.ToString() : "?";
            orderId = root.TryGetProperty("orderId", out var order) ? order.ToString() : "";
        }
        catch (JsonException)
        {
            outcome = FlashOutcomes.Unparsable;
        }
        if (response.StatusCode == HttpStatusCode.OK && outcome == FlashOutcomes.Reserved)
        {
            _tally.Reserved(new ReservedAnswer(orderId, user), answeredBy, phase);
            return outcome;
        }
        return response.StatusCode == HttpStatusCode.Conflict ? outcome : $"{FlashOutcomes.UnexpectedPrefix}:200:{outcome}";
    }

    /// <summary>Reads the sale from the admin API until it shows nothing available, and records that moment.</summary>
    private async Task WatchForSoldOutAsync(HttpClient admin, CancellationToken stop)
    {
        try
        {
            while (!await ShowsSoldOutAsync(admin, stop))
            {
                await Task.Delay(_options.PollInterval, stop);
            }
            _tally.SoldOut();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> ShowsSoldOutAsync(HttpClient admin, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/sales/{Uri.EscapeDataString(_options.Sale)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.AdminToken);
        try
        {
            using var response = await admin.SendAsync(request, stop);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            using var sale = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(stop), cancellationToken: stop);
            return sale.RootElement.ValueKind == JsonValueKind.Object
                && sale.RootElement.TryGetProperty("available", out var available)
                && available.ValueKind == JsonValueKind.Number && available.GetDecimal() == 0;
        }
        catch (Exception e) when (e is JsonException || IsNoAnswer(e, stop))
        {
            return false;
        }
    }

    /// <summary>Reports every <see cref="FlashOptions.ProgressInterval"/>, and once more when stopped.</summary>
    private async Task ReportProgressAsync(CancellationToken stop)
    {
        if (_onProgress is null)
        {
            return;
        }
        using var timer = new PeriodicTimer(_options.ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                _onProgress(_tally.Progress());
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        _onProgress(_tally.Progress());
    }

    /// <summary>A refused, reset or closed connection, or a request that timed out (not one the run stopped).</summary>
    private static bool IsNoAnswer(Exception e, CancellationToken stop) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !stop.IsCancellationRequested);

    /// <summary>
    /// nginx's weighted pick (the first address of <c>X-Spike-Upstream</c>) and the node that answered (the last one:
    /// "a, b" when nginx tried a and then b); <c>?</c> for an answer that names none.
    /// </summary>
    private static (string PickedFirst, string AnsweredBy) Upstreams(HttpResponseMessage response)
    {
        if (!response.Headers.NonValidated.TryGetValues(UpstreamHeader, out var values))
        {
            return ("?", "?");
        }
        var tried = values.ToString().Split(',', StringSplitOptions.TrimEntries);
        return (NamedOrUnknown(tried[0]), NamedOrUnknown(tried[^1]));

        static string NamedOrUnknown(string address) => address.Length > 0 ? address : "?";
    }

    /// <summary>The server's Retry-After, at most <see cref="LongestRetryPause"/> (which is also the pause without one).</summary>
    private static TimeSpan RetryAfter(HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues("Retry-After", out var values)
        && double.TryParse(values.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(Math.Clamp(seconds, 0, LongestRetryPause.TotalSeconds))
            : LongestRetryPause;

    /// <summary>After a lost connection or a 502/504: 0.2 s, 0.4 s, 0.8 s, then 1 s.</summary>
    private static TimeSpan GrowingPause(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(LongestRetryPause.TotalSeconds, 0.1 * Math.Pow(2, Math.Min(attempt, 4))));

    private static HttpClient CreateClient(Uri url, int connections, TimeSpan requestTimeout) => new(new SocketsHttpHandler
    {
        // One keep-alive connection per buyer asking, like a browser's; renewed now and then rather than never.
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
    })
    {
        BaseAddress = new Uri(url.GetLeftPart(UriPartial.Authority)),
        Timeout = requestTimeout,
    };
}
