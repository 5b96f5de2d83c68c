using System.CommandLine;
using Spectre.Console;
using Spike.Cli.Demo;
using Spike.Commands;
using Spike.Sales;

namespace Spike.Cli;

/// <summary>
/// <c>spike checkout --url base --answers file [--pay share] [--cancel share]</c>: what buyers do after a sale. Of the
/// reserved answers (in file order), the first <c>--pay</c> share pays, the next <c>--cancel</c> share cancels, and the
/// rest do nothing (their orders expire), as <see cref="Checkout"/> does. Prints one <c>key value</c> line per outcome.
/// </summary>
public static class CheckoutCommand
{
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
        if (Checkout.SharesProblem(payShare, cancelShare) is { } problem)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]--pay and --cancel: {problem}[/]");
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
        var result = await new Checkout(url, payShare, cancelShare).RunAsync(orders, cancellationToken);
        foreach (var line in result.Lines())
        {
            Console.Out.WriteLine(line);
        }
        return CommandExitCodes.Ok;
    }
}
