using System.CommandLine;
using Spectre.Console;
using Spike.Commands;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Cli;

/// <summary>
/// <c>spike audit &lt;sale&gt; [--answers file] [--redis conn] [--expect-sold-out]</c>: the sale's invariants, read from
/// Redis, one line per check with PASS, FAIL or SKIP; exits 1 when a check failed.
/// </summary>
public static class AuditCommand
{
    public const string RedisPortVariable = "SPIKE_REDIS_PORT";

    public static Command Create()
    {
        var sale = new Argument<string>("sale") { Description = "the sale id" };
        var answers = new Option<FileInfo?>("--answers")
        {
            Description = "the reserved answers buyers got, one per line: orderId, or user<TAB>orderId",
        };
        var redis = new Option<string>("--redis")
        {
            Description = $"StackExchange.Redis connection string (default: 127.0.0.1:${RedisPortVariable}, else 127.0.0.1:6379)",
            DefaultValueFactory = _ => "127.0.0.1:" + (Environment.GetEnvironmentVariable(RedisPortVariable) is { Length: > 0 } port ? port : "6379"),
        };
        var expectSoldOut = new Option<bool>("--expect-sold-out")
        {
            Description = "fail 'total sold == stock' while tickets are left (otherwise it is skipped)",
        };
        var command = new Command("audit", "check a sale's invariants in Redis (no oversell, per-user limit, reservations, answers)")
        {
            sale, answers, redis, expectSoldOut,
        };
        command.SetAction((parse, _) => RunAsync(
            parse.GetValue(sale)!, parse.GetValue(answers), parse.GetValue(redis)!, parse.GetValue(expectSoldOut)));
        return command;
    }

    private static async Task<int> RunAsync(string sale, FileInfo? answersFile, string redis, bool expectSoldOut)
    {
        var errors = Terminal.Errors;
        IReadOnlyCollection<ReservedAnswer>? answers = null;
        if (answersFile is not null)
        {
            if (!answersFile.Exists)
            {
                errors.MarkupLineInterpolated($"[red]no such answers file: {answersFile.FullName}[/]");
                return CommandExitCodes.Usage;
            }
            answers = [.. (await File.ReadAllLinesAsync(answersFile.FullName)).Where(l => l.Length > 0).Select(ReservedAnswer.Parse)];
        }
        ConnectionMultiplexer connection;
        try
        {
            var options = ConfigurationOptions.Parse(redis);
            options.ConnectTimeout = 5_000;
            connection = await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException e)
        {
            errors.MarkupLineInterpolated($"[red]cannot reach Redis at {redis}:[/] {e.Message}");
            return CommandExitCodes.Unreachable;
        }
        await using (connection)
        {
            var audit = await SaleAudit.ReadAsync(connection.GetDatabase(), sale, answers, new SaleAuditOptions { ExpectSoldOut = expectSoldOut });
            Console.Out.WriteLine(audit.ToString());
            return audit.Passed ? CommandExitCodes.Ok : CommandExitCodes.Failed;
        }
    }
}
