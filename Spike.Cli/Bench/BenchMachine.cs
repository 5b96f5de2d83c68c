using System.ComponentModel;
using System.Diagnostics;

namespace Spike.Cli.Bench;

/// <summary>What a bench report says about where and when it was made: the machine's cores, the date, the commit.</summary>
public sealed record BenchMachine(int Cores, DateTimeOffset Date, string Commit)
{
    public const string UnknownCommit = "unknown";

    /// <summary>
    /// This machine now, and <paramref name="commit"/> or else the commit checked out in the repository holding
    /// <paramref name="directory"/> (which may not be the build a running cluster was published from).
    /// </summary>
    public static BenchMachine Current(string directory, string? commit) =>
        new(Environment.ProcessorCount, DateTimeOffset.UtcNow, commit ?? Git(directory, "rev-parse", "--short", "HEAD") ?? UnknownCommit);

    /// <summary>The top folder of the git work tree holding <paramref name="directory"/>, or null outside one.</summary>
    public static string? RepositoryRoot(string directory) => Git(directory, "rev-parse", "--show-toplevel");

    /// <summary>git's one line of output, or null when git is missing or fails (not a repository).</summary>
    private static string? Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(directory);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using var git = Process.Start(start)!;
            var discardedErrors = git.StandardError.ReadToEndAsync(); // drained beside stdout, so neither pipe fills up
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            discardedErrors.Wait();
            return git.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
