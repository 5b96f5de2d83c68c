using System.CommandLine;
using Spectre.Console;
using Spike.Cli.Bench;
using Spike.Commands;

namespace Spike.Cli;

/// <summary>
/// <c>spike bench report &lt;run-dir&gt; [--out dir] [--title text] [--commit text]</c>: reads the wrk outputs of one bench
/// (<c>.run/bench/&lt;run&gt;/*.out</c>, which <c>./spike.sh bench</c> leaves) and writes its results table and latency plot
/// to <c>&lt;out&gt;/&lt;yyyy-MM-dd&gt;[-n]/</c> (<see cref="BenchReport"/>); prints the files it wrote, one <c>key path</c> line each.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var runDirectory = new Argument<DirectoryInfo>("run-dir")
        {
            Description = "one bench's raw output, a <label>.out file per wrk run: .run/bench/<run>/",
        };
        runDirectory.Validators.Add(result =>
        {
            if (result.Tokens is not [var token])
            {
                return; // the parser reports the missing argument itself
            }
            var directory = new DirectoryInfo(token.Value);
            if (!directory.Exists)
            {
                result.AddError($"no such directory: {directory.FullName}");
            }
            else if (directory.GetFiles("*" + WrkRun.FileExtension).Length == 0)
            {
                result.AddError($"no wrk output (*{WrkRun.FileExtension}) in {directory.FullName}: not a bench run directory");
            }
        });
        var output = new Option<DirectoryInfo?>("--out")
        {
            Description = "the results folder (default: bench/results of the repository holding <run-dir>)",
        };
        var title = new Option<string?>("--title") { Description = "the report's title (default: bench <run>)" };
        var commit = new Option<string?>("--commit")
        {
            Description = "the build the bench measured, e.g. abc1234+dirty (default: git rev-parse --short HEAD of <run-dir>'s repository)",
        };
        var report = new Command("report",
            "write a bench's results table (results.md) and latency plot (latency.svg) to <out>/<yyyy-MM-dd>[-n]/, and point <out>/README.md to them")
        {
            runDirectory, output, title, commit,
        };
        report.SetAction(parse =>
            Report(parse.GetValue(runDirectory)!, parse.GetValue(output), parse.GetValue(title), parse.GetValue(commit)));
        return new Command("bench", "the benchmark's results (./spike.sh bench runs the benchmark)") { report };
    }

    private static int Report(DirectoryInfo runDirectory, DirectoryInfo? output, string? title, string? commit)
    {
        var resultsRoot = output?.FullName
            ?? (BenchMachine.RepositoryRoot(runDirectory.FullName) is { } repository ? Path.Combine(repository, "bench", "results") : null);
        if (resultsRoot is null)
        {
            Terminal.Errors.MarkupLineInterpolated(
                $"[red]{runDirectory.FullName} is not inside a git work tree, so there is no bench/results to default to: name the results folder with --out[/]");
            return CommandExitCodes.Usage;
        }
        try
        {
            var bench = BenchRun.Read(runDirectory.FullName);
            var machine = BenchMachine.Current(runDirectory.FullName, commit);
            var files = BenchReport.Write(bench, title ?? "bench " + runDirectory.Name, resultsRoot, machine);
            Console.Out.WriteLine($"results {files.Results}");
            if (files.Plot is not null)
            {
                Console.Out.WriteLine($"plot {files.Plot}");
            }
            Console.Out.WriteLine($"index {files.Index}");
            return CommandExitCodes.Ok;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Terminal.Errors.MarkupLineInterpolated($"[red]spike bench report: {e.Message}[/]");
            return CommandExitCodes.Failed;
        }
    }
}
