using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;
using Spike.Commands;
using Spike.Sales;

namespace Spike.Cli;

/// <summary>
/// <c>spike checkout --url base --answers file [--pay share] [--cancel share]</c>: what buyers do after a sale. Of the
/// reserved answers (in file order), the first <c>--pay</c> share pays, the next <c>--cancel</c> share cancels, and the
/// rest do nothing (their orders expire). Each call is retried with backoff while the answer is 429/502/503/504 or the
/// connection fails (paying and cancelling are idempotent). Prints one <c>key value</c> line per outcome.
/// </summary>
public static class CheckoutCommand
{
    private const int Concurrency = 32;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "the system's base URL (nginx), e.g. http://127.0.0.1:8080", Required = true };
        var answers = new Option<FileInfo>("--answers") { Description = "the reserved answers, one per line: user<TAB>orderId", Required = true };
        var pay = new Option<double>("--pay") { Description = "share of the orders that pay (0..1)", DefaultValueFactory = _ => 0.6 };
        var cancel = new Option<double>("--cancel") { Description = "share of the orders that cancel (0..1)", DefaultValueFactory = _ => 0.1 };
        var command = new Command("checkout", "pay a share of a sale's orders and cancel another share; the rest expire") { url, answers, pay, cancel };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(url)!, parse.GetValue(answers)!, parse.GetValue(pay), parse.GetValue(cancel), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string urlText, FileInfo answersFile, double payShare, double cancelShare, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]--url must be an absolute http(s) URL, not '{urlText}'[/]");
            return CommandExitCodes.Usage;
        }
        if (payShare is < 0 or > 1 || cancelShare is < 0 or > 1 || payShare + cancelShare > 1)
        {
            Terminal.Errors.MarkupLine("[red]--pay and --cancel are shares between 0 and 1 that add up to at most 1[/]");
            return CommandExitCodes.Usage;
        }
        if (!answersFile.Exists)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]no such answers file: {answersFile.FullName}[/]");
            return CommandExitCodes.Usage;
        }
        var orders = (await File.ReadAllLinesAsync(answersFile.FullName, cancellationToken))
            .Where(l => l.Length > 0).Select(ReservedAnswer.Parse).ToArray();
        if (orders.FirstOrDefault(a => a.User is null) is { } anonymous)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]{answersFile.Name}: order {anonymous.OrderId} names no buyer; lines must be user<TAB>orderId[/]");
            return CommandExitCodes.Usage;
        }
        var paying = (int)Math.Round(orders.Length * payShare);
        var cancelling = Math.Min(orders.Length - paying, (int)Math.Round(orders.Length * cancelShare));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = url };
        using var gate = new SemaphoreSlim(Concurrency);
        var outcomes = await Task.WhenAll(orders.Take(paying + cancelling).Select(async (order, i) =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var action = i < paying ? "pay" : "cancel";
                return $"{action}_{await SendAsync(http, action, order, cancellationToken)}";
            }
            finally
            {
                gate.Release();
            }
        }));

        Console.Out.WriteLine($"orders {orders.Length}");
        Console.Out.WriteLine($"left_to_expire {orders.Length - paying - cancelling}");
        foreach (var group in outcomes.GroupBy(o => o).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.Out.WriteLine($"{group.Key} {group.Count()}");
        }
        return CommandExitCodes.Ok;
    }

    /// <summary>The final answer's status (<c>paid</c>, <c>cancelled</c>, <c>already_expired</c>, ...), or <c>gave_up</c>.</summary>
    private static async Task<string> SendAsync(HttpClient http, string action, ReservedAnswer order, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        var backoff = TimeSpan.FromMilliseconds(50);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.PostAsJsonAsync($"/orders/{order.OrderId}/{action}", new { user = order.User }, cancellationToken);
                if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
                    or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
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
}
