using Spike.Cli.Local;

namespace Spike.Cli.Bench;

/// <summary>
/// The CPU columns of the benches that drive one node directly (<c>bench node</c>, <c>bench overload</c>): the node under
/// test, the rest of Spike (the other nodes, nginx and its workers), and Redis.
/// </summary>
internal static class NodeCpuGroups
{
    public static readonly string[] Names = ["node", "rest", "redis"];

    /// <summary>The groups with <paramref name="node"/> under test (none: its column stays empty).</summary>
    public static CpuGroup[] Of(BenchSession session, RunProcess? node) =>
        Of(node is null ? [] : [node.Pid], RestOf(session, node), session);

    /// <summary>The groups with other processes under test, e.g. an anchor, the node then counted with the rest.</summary>
    public static CpuGroup[] Of(IReadOnlyList<int> underTest, IReadOnlyList<int> rest, BenchSession session) =>
        [new(Names[0], underTest), new(Names[1], rest), new(Names[2], session.Process(ProcessKinds.Redis) is { } redis ? [redis.Pid] : [])];

    /// <summary>Every process of the run but Redis and <paramref name="node"/>, nginx with its workers.</summary>
    public static int[] RestOf(BenchSession session, RunProcess? node) =>
        session.State.Processes.Where(p => p.Kind != ProcessKinds.Redis && p != node)
            .SelectMany(p => p.Kind == ProcessKinds.Nginx ? session.NginxPids() : [p.Pid]).ToArray();
}
