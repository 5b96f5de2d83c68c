using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Spike.Cli.Flash;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike flash --url base --sale id --buyers n [...]</c>: a flash-sale crowd (<see cref="FlashCrowd"/>) against a
/// system on this machine. Prints a progress line every <c>--progress</c> seconds and, with <c>--halfway N</c>, the line
/// <c>HALFWAY &lt;seconds&gt; &lt;reserved&gt;</c> the moment N reserved answers arrived (scripts kill nodes then);
/// then writes the reserved answers (<c>--orders</c>, user&lt;TAB&gt;orderId lines) and the summary
/// (<see cref="FlashResult.SummaryLines"/>; to <c>--summary</c>, else stdout). Exits 0 when every buyer got a final
/// answer in time, 1 otherwise.
/// </summary>
public static class FlashCommand
{
    public const string AdminTokenVariable = "SPIKE_ADMIN_TOKEN";

    /// <summary>128 + SIGINT, as a shell reports a program stopped with Ctrl+C.</summary>
    private const int Interrupted = 130;

    /// <summary>The crowd's defaults, which the options show in the help.</summary>
    private static readonly FlashOptions Defaults = new(new Uri("http://127.0.0.1/"), "sale", Buyers: 1);

    public static Command Create()
    {
        var url = new Option<Uri>("--url")
        {
            Description = "the system's base URL, a loopback IP address only (nginx, e.g. http://127.0.0.1:8080)",
            Required = true,
            CustomParser = ParseUrl,
        };
        var sale = new Option<string>("--sale") { Description = "the sale id", Required = true };
        var buyers = new Option<int>("--buyers") { Description = $"how many buyers, each a new user (1..{FlashOptions.MaxBuyers})", Required = true };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = $"buyers asking at a time (1..{FlashOptions.MaxConcurrency})",
            DefaultValueFactory = _ => Defaults.Concurrency,
        };
        var stock = new Option<long>("--stock") { Description = "the sale's stock, for the progress lines" };
        var prefix = new Option<string?>("--prefix") { Description = "user prefix: buyer n is <prefix>-<n> (default: the sale id)" };
        var halfway = new Option<int>("--halfway") { Description = "print HALFWAY when this many reserved answers arrived" };
        var pollMs = new Option<int>("--poll-ms")
        {
            Description = "milliseconds between reads of the sale from the admin API, to see it sell out",
            DefaultValueFactory = _ => (int)Defaults.PollInterval.TotalMilliseconds,
        };
        var progress = new Option<double>("--progress")
        {
            Description = "seconds between progress lines",
            DefaultValueFactory = _ => Defaults.ProgressInterval.TotalSeconds,
        };
        var requestTimeout = new Option<double>("--request-timeout")
        {
            Description = "seconds a request may go unanswered before it is retried",
            DefaultValueFactory = _ => Defaults.RequestTimeout.TotalSeconds,
        };
        var buyerDeadline = new Option<double>("--buyer-deadline")
        {
            Description = "seconds after which a buyer without a final answer gives up",
            DefaultValueFactory = _ => Defaults.BuyerDeadline.TotalSeconds,
        };
        var maxSeconds = new Option<double>("--max-seconds")
        {
            Description = "seconds after which the whole run stops",
            DefaultValueFactory = _ => Defaults.MaxDuration.TotalSeconds,
        };
        var adminUrl = new Option<Uri?>("--admin-url")
        {
            Description = "where the admin API is read (a node's own port; nginx does not serve it); default: --url",
            CustomParser = ParseUrl,
        };
        var summary = new Option<FileInfo?>("--summary") { Description = "write the summary (key value lines) here instead of stdout" };
        var orders = new Option<FileInfo?>("--orders") { Description = "write the reserved answers here, one per line: user<TAB>orderId" };
        var command = new Command("flash",
            $"a flash-sale crowd on this machine: new buyers retrying with their request id until each has a final answer (admin token: ${AdminTokenVariable})")
        {
            url, adminUrl, sale, buyers, concurrency, stock, prefix, halfway, pollMs, progress, requestTimeout, buyerDeadline, maxSeconds, summary, orders,
        };

        command.SetAction((parse, cancellationToken) => RunAsync(parse, new FlashOptions(parse.GetValue(url)!, parse.GetValue(sale)!, parse.GetValue(buyers))
        {
            Concurrency = parse.GetValue(concurrency),
            Stock = parse.GetValue(stock),
            UserPrefix = parse.GetValue(prefix),
            Halfway = parse.GetValue(halfway),
            AdminToken = Environment.GetEnvironmentVariable(AdminTokenVariable) ?? "",
            AdminUrl = parse.GetValue(adminUrl),
            PollInterval = TimeSpan.FromMilliseconds(parse.GetValue(pollMs)),
            ProgressInterval = TimeSpan.FromSeconds(parse.GetValue(progress)),
            RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
            BuyerDeadline = TimeSpan.FromSeconds(parse.GetValue(buyerDeadline)),
            MaxDuration = TimeSpan.FromSeconds(parse.GetValue(maxSeconds)),
        }, parse.GetValue(summary), parse.GetValue(orders), cancellationToken));
        return command;
    }

    private static Uri ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            return url;
        }
        result.AddError($"--url must be http://<loopback address>:<port>, not '{text}'");
        return null!;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, FlashOptions options, FileInfo? summaryFile, FileInfo? ordersFile, CancellationToken cancellationToken)
    {
        // Plain lines, flushed as they come: scripts read them while the crowd runs.
        var output = parse.InvocationConfiguration.Output;
        var errors = parse.InvocationConfiguration.Error;
        var problems = options.Problems().ToList();
        if (problems.Count > 0)
        {
            problems.ForEach(errors.WriteLine);
            errors.WriteLine();
            new HelpAction().Invoke(parse);
            return CommandExitCodes.Usage;
        }

        var crowd = new FlashCrowd(options, progress => output.WriteLine(progress.ToLine()));
        var run = crowd.RunAsync(cancellationToken);
        FlashResult result;
        try
        {
            if (await crowd.Halfway is { } halfway)
            {
                output.WriteLine(halfway.ToLine());
            }
            result = await run;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Interrupted;
        }

        try
        {
            if (ordersFile is not null)
            {
                await File.WriteAllTextAsync(ordersFile.FullName, Lines(result.Orders.Select(o => o.ToLine())), CancellationToken.None);
            }
            var summary = Lines(result.SummaryLines());
            if (summaryFile is not null)
            {
                await File.WriteAllTextAsync(summaryFile.FullName, summary, CancellationToken.None);
            }
            else
            {
                await output.WriteAsync(summary);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await errors.WriteLineAsync($"could not write the results: {e.Message}");
            return CommandExitCodes.Failed;
        }
        return result.Complete ? CommandExitCodes.Ok : CommandExitCodes.Failed;
    }

    /// <summary>Each line ended by \n, whatever the platform: the files are read by scripts.</summary>
    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(line => line + "\n"));
}
