using System.CommandLine;
using Spike.Cli;
using Spike.Cli.Bench;
using Spike.Commands;

namespace Spike.Tests.Bench;

/// <summary>The verb <c>spike bench report &lt;run-dir&gt; [--out dir] [--title text] [--commit text]</c>, parsed and run as the tool does.</summary>
public sealed class BenchCommandSpecs : IDisposable
{
    private readonly ScratchDirectory scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task Should_write_the_report_under_the_out_folder_when_given_a_bench_run_directory()
    {
        var run = BenchSamples.RunDirectory(scratch.Root, "b1", [("a", BenchSamples.Ping)]);
        var results = Path.Combine(scratch.Root, "results");

        var (exitCode, _) = await InvokeAsync("bench", "report", run, "--out", results, "--title", "node bench");

        Assert.Equal(CommandExitCodes.Ok, exitCode);
        var report = Assert.Single(Directory.GetDirectories(results));
        Assert.StartsWith("# node bench", File.ReadAllText(Path.Combine(report, BenchReport.ResultsFileName)), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(report, BenchReport.PlotFileName)));
        Assert.True(File.Exists(Path.Combine(results, BenchReport.IndexFileName)));
    }

    [Fact]
    public async Task Should_name_the_given_commit_in_the_results_when_given_one()
    {
        var run = BenchSamples.RunDirectory(scratch.Root, "b1", [("a", BenchSamples.Ping)]);
        var results = Path.Combine(scratch.Root, "results");

        var (exitCode, _) = await InvokeAsync("bench", "report", run, "--out", results, "--commit", "abc1234+dirty");

        Assert.Equal(CommandExitCodes.Ok, exitCode);
        var report = Assert.Single(Directory.GetDirectories(results));
        Assert.Contains(", commit `abc1234+dirty`.", File.ReadAllText(Path.Combine(report, BenchReport.ResultsFileName)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no such directory: ")]
    [InlineData("no wrk output (*.out) in ")]
    public async Task Should_print_the_error_and_the_usage_and_exit_non_zero_when_the_run_directory_is_not_a_bench_run(string error)
    {
        var notARun = error.StartsWith("no such", StringComparison.Ordinal)
            ? Path.Combine(scratch.Root, "missing")
            : Directory.CreateDirectory(Path.Combine(scratch.Root, "empty")).FullName;

        var (exitCode, output) = await InvokeAsync("bench", "report", notARun, "--out", Path.Combine(scratch.Root, "results"));

        Assert.NotEqual(CommandExitCodes.Ok, exitCode);
        Assert.Contains(error + notARun, output, StringComparison.Ordinal);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains(" bench report <run-dir> [options]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_print_the_usage_and_exit_non_zero_when_the_run_directory_is_missing()
    {
        var (exitCode, output) = await InvokeAsync("bench", "report");

        Assert.NotEqual(CommandExitCodes.Ok, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_exit_with_usage_when_there_is_no_out_folder_and_the_run_is_outside_a_git_work_tree()
    {
        var run = BenchSamples.RunDirectory(scratch.Root, "b1", [("a", BenchSamples.Ping)]);

        var (exitCode, _) = await InvokeAsync("bench", "report", run);

        Assert.Equal(CommandExitCodes.Usage, exitCode);
        Assert.Equal([Path.Combine(scratch.Root, "b1")], Directory.GetDirectories(scratch.Root));
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("bench", "cluster")]
    [InlineData("bench", "node")]
    [InlineData("bench", "overload")]
    public void Should_parse_the_bench_itself_when_given_no_mode_or_a_known_one(params string[] args)
    {
        var root = new RootCommand { BenchCommand.Create() };

        var parse = root.Parse(args);

        Assert.Empty(parse.Errors);
        Assert.Equal(args[^1], parse.CommandResult.Command.Name);
        Assert.NotNull(parse.CommandResult.Command.Action);
    }

    [Fact]
    public void Should_parse_the_report_subcommand_when_given_report_and_a_run_directory()
    {
        var run = BenchSamples.RunDirectory(scratch.Root, "b1", [("a", BenchSamples.Ping)]);
        var root = new RootCommand { BenchCommand.Create() };

        var parse = root.Parse(["bench", "report", run]);

        Assert.Empty(parse.Errors);
        Assert.Equal("report", parse.CommandResult.Command.Name);
    }

    [Fact]
    public void Should_refuse_the_mode_when_it_is_not_cluster_node_or_overload()
    {
        var root = new RootCommand { BenchCommand.Create() };

        var parse = root.Parse(["bench", "everything"]);

        Assert.NotEmpty(parse.Errors);
    }

    /// <summary>The exit code and what the parser printed (help and errors; the verb's own lines go to the console).</summary>
    private static async Task<(int ExitCode, string Output)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        var root = new RootCommand { BenchCommand.Create() };
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        return (exitCode, output.ToString());
    }
}
