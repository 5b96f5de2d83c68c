using System.Text.Json;
using System.Text.Json.Serialization;
using Spike.Commands;

namespace Spike.Cli.Local;

/// <summary>The kinds of process a local cluster runs.</summary>
public static class ProcessKinds
{
    public const string Redis = "redis";
    public const string Nginx = "nginx";
    public const string Api = NodeRoles.Api;
    public const string Inventory = NodeRoles.Inventory;
}

/// <summary>
/// One process <c>spike up</c> started. A pid alone can be reused by another process once ours is gone; together with
/// the kernel's start time of the process it names ours only.
/// </summary>
/// <param name="StartTime">Field 22 of <c>/proc/&lt;pid&gt;/stat</c> when it was started (clock ticks since boot).</param>
public sealed record RunProcess(string Name, string Kind, int Pid, long StartTime, int Port, string Log)
{
    public bool IsNode => Kind is ProcessKinds.Api or ProcessKinds.Inventory;
}

/// <summary>
/// The running local cluster, in <c>.run/state.json</c>: what it was started with (the environment of a later command
/// does not change a running cluster) and its processes in start order. The tokens live in their own files.
/// </summary>
public sealed record RunState
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required LocalSettings Settings { get; init; }

    /// <summary>The commit the nodes were built from, <c>+dirty</c> when the working tree had changes.</summary>
    public required string BuildCommit { get; init; }

    public IReadOnlyList<RunProcess> Processes { get; init; } = [];

    [JsonIgnore]
    public Topology Topology => Topology.Plan(Settings.Topology);

    public RunProcess? Find(string kind) => Processes.FirstOrDefault(p => p.Kind == kind);

    public static RunState? Load(RunDirectory run)
    {
        if (!File.Exists(run.State))
        {
            return null;
        }
        var state = JsonSerializer.Deserialize<RunState>(File.ReadAllText(run.State), Json)
            ?? throw new InvalidDataException($"{run.State} is empty");
        // the tokens are not in the state file: read them back for whatever talks to the nodes
        return state with
        {
            Settings = state.Settings with
            {
                Topology = state.Settings.Topology with
                {
                    AdminToken = ReadToken(run.AdminTokenFile),
                    CommandToken = ReadToken(run.CommandTokenFile),
                },
            },
        };
    }

    public void Save(RunDirectory run)
    {
        Directory.CreateDirectory(run.Root);
        var withoutSecrets = this with
        {
            Settings = Settings with { Topology = Settings.Topology with { AdminToken = null, CommandToken = null } },
        };
        var temporary = run.State + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(withoutSecrets, Json));
        File.Move(temporary, run.State, overwrite: true);
    }

    public static void Delete(RunDirectory run) => File.Delete(run.State);

    private static string? ReadToken(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : null;
}
