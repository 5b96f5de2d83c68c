namespace Spike.Cli.Local;

/// <summary>
/// Where the local cluster keeps what it runs: <c>.run/</c> in the repository (git-ignored). The published builds, logs,
/// Redis data, nginx's rendered configuration, the typed state of the running cluster and the two tokens.
/// </summary>
public sealed class RunDirectory
{
    /// <param name="root">Where the run's files go; by default <c>.run/</c> in the repository.</param>
    public RunDirectory(string repository, string? root = null)
    {
        Repository = repository;
        Root = root ?? Path.Combine(repository, ".run");
    }

    /// <summary>The checkout the nodes are built from (it holds <c>Spike.sln</c>).</summary>
    public string Repository { get; }

    public string Root { get; }

    public string Logs => Path.Combine(Root, "logs");

    public string BuildLog => Path.Combine(Logs, "build.log");

    public string State => Path.Combine(Root, "state.json");

    public string AdminTokenFile => Path.Combine(Root, "admin-token");

    public string CommandTokenFile => Path.Combine(Root, "cmd-token");

    public string Redis => Path.Combine(Root, "redis");

    public string Nginx => Path.Combine(Root, "nginx");

    public string Publish(string project) => Path.Combine(Root, "publish", project);

    public string LogOf(string process) => Path.Combine(Logs, process + ".log");

    /// <summary>
    /// The repository: <c>SPIKE_ROOT</c> when set (spike.sh sets it), else the nearest folder holding <c>Spike.sln</c>
    /// above the working directory, then above the tool itself (published into <c>.run/publish/cli</c>).
    /// </summary>
    public static RunDirectory? TryLocate()
    {
        if (Environment.GetEnvironmentVariable("SPIKE_ROOT") is { Length: > 0 } root)
        {
            return new RunDirectory(Path.GetFullPath(root));
        }
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Spike.sln")))
                {
                    return new RunDirectory(dir.FullName);
                }
            }
        }
        return null;
    }
}
