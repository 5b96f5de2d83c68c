using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Spike.Cli;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Flash;

/// <summary><c>spike flash</c>, run in-process: its lines, files and exit codes, which <c>spike.sh</c> reads.</summary>
[Collection(LoopbackSpikeAppCollection.Name)]
public sealed partial class FlashCommandSpecs : IDisposable
{
    private readonly LoopbackSpikeAppFixture _app;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("spike-flash-");

    public FlashCommandSpecs(LoopbackSpikeAppFixture app)
    {
        _app = app;
        // Only the flash command reads it, as spike.sh hands it over.
        Environment.SetEnvironmentVariable(FlashCommand.AdminTokenVariable, Admin.Token);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Should_write_the_lines_and_files_the_demo_reads_when_a_crowd_buys_out_a_sale()
    {
        const int stock = 30;
        var sale = await _app.CreateSaleAsync(stock);
        var summaryFile = Path.Combine(_directory.FullName, "summary");
        var ordersFile = Path.Combine(_directory.FullName, "orders");

        var (exitCode, output, errors) = await RunAsync(
            "--url", _app.LoopbackUrl!.ToString(), "--sale", sale, "--buyers", $"{3 * stock}", "--concurrency", "10",
            "--stock", $"{stock}", "--halfway", $"{stock / 2}", "--progress", "0.2", "--summary", summaryFile, "--orders", ordersFile);

        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        Assert.Matches(HalfwayLine(), Assert.Single(Lines(output), l => l.StartsWith("HALFWAY", StringComparison.Ordinal)));
        Assert.Contains(Lines(output), l => l.Contains($"buyers done        {3 * stock}/{3 * stock}  reserved       {stock}/{stock}", StringComparison.Ordinal));
        var summary = Lines(await File.ReadAllTextAsync(summaryFile));
        var values = summary.Where(l => !l.StartsWith("node ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => f[1]);
        Assert.Equal($"{3 * stock}", values["buyers"]);
        Assert.Equal("0", values["unfinished"]);
        Assert.Equal("0", values["timed_out"]);
        Assert.Equal($"{stock}", values["reserved"]);
        Assert.Equal($"{stock}", values["outcome_reserved"]);
        Assert.Equal($"{2 * stock}", values["outcome_sold_out"]);
        Assert.Equal($"{stock / 2}", values["halfway_reserved"]);
        Assert.Equal(values["answers"], $"{int.Parse(values["status_200"], CultureInfo.InvariantCulture) + int.Parse(values["status_409"], CultureInfo.InvariantCulture)}");
        Assert.All(["soldout_s", "last_reserved_s", "longest_reserved_gap_s", "longest_reserved_gap_end_s", "halfway_s", "elapsed_s"],
            key => Assert.Matches(Seconds(), values[key]));
        Assert.All(["sent", "retries", "conn_errors", "answers_per_s", "started_unix", "reserved_users", "duplicate_reserved"], key => Assert.Contains(key, values));
        Assert.Matches(NodeLine(), Assert.Single(summary, l => l.StartsWith("node ", StringComparison.Ordinal)));
        var orders = Lines(await File.ReadAllTextAsync(ordersFile)).Select(ReservedAnswer.Parse).ToList();
        Assert.Equal(stock, orders.Count);
        var audit = await SaleAudit.ReadAsync(_app.Redis.Database, sale, orders, new SaleAuditOptions { ExpectSoldOut = true });
        audit.AssertConsistent();
    }

    [Fact]
    public async Task Should_write_the_summary_to_stdout_and_exit_1_when_the_run_stops_with_buyers_still_waiting()
    {
        await using var stub = await LoopbackStub.StartAsync(async context =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // the crowd gave up on the request
            }
        });

        var (exitCode, output, _) = await RunAsync("--url", stub.Url.ToString(), "--sale", "s", "--buyers", "3", "--max-seconds", "0.3");

        Assert.Equal(1, exitCode);
        Assert.Contains("timed_out 1", Lines(output));
        Assert.Contains("unfinished 3", Lines(output));
    }

    [Theory]
    [InlineData("http://10.0.0.1:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://192.168.1.20")]
    public async Task Should_refuse_with_a_clear_message_and_exit_non_zero_when_the_url_is_not_loopback(string url)
    {
        var (exitCode, output, errors) = await RunAsync("--url", url, "--sale", "s", "--buyers", "3");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("must name a loopback", errors, StringComparison.Ordinal);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("--url", "http://127.0.0.1:1", "--sale", "s")]
    [InlineData("--url", "http://127.0.0.1:1", "--sale", "s", "--buyers", "many")]
    [InlineData("--url", "http://127.0.0.1:1", "--sale", "s", "--buyers", "0")]
    [InlineData("--url", "http://127.0.0.1:1", "--sale", "s", "--buyers", "3", "--concurrency", "0")]
    [InlineData("--url", "http://127.0.0.1:1", "--sale", "s", "--buyers", "3", "--progress", "0")]
    [InlineData("--url", "not a url", "--sale", "s", "--buyers", "3")]
    public async Task Should_print_the_usage_and_exit_non_zero_without_a_stack_trace_when_the_arguments_are_bad(params string[] args)
    {
        var (exitCode, output, errors) = await RunAsync(args);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.NotEmpty(errors.Trim());
        Assert.DoesNotContain("Exception", output + errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var configuration = new InvocationConfiguration
        {
            // Progress lines and the halfway line come from other threads.
            Output = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(errors),
            ProcessTerminationTimeout = null,
        };
        var exitCode = await new RootCommand { FlashCommand.Create() }.Parse(["flash", .. args]).InvokeAsync(configuration);
        return (exitCode, output.ToString(), errors.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^HALFWAY \d+\.\d{3} 15$")]
    private static partial Regex HalfwayLine();

    [GeneratedRegex(@"^\d+\.\d{3}$")]
    private static partial Regex Seconds();

    /// <summary>node address, then answers and reserved before and after the mark, then nginx's picks before and after.</summary>
    [GeneratedRegex(@"^node \S+( \d+){6}$")]
    private static partial Regex NodeLine();
}
