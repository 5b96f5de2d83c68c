using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.Extensions.DependencyInjection;
using Spike.Host.Hosting;

namespace Spike.Host.Commands;

/// <summary>What the command handlers inspect: this node's actor system, cluster and sharding.</summary>
public sealed class CommandNode(IServiceProvider services)
{
    /// <summary>How long a query waits for actors (a region, the coordinator) to answer.</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Shard types the node declares, with the role whose members host their regions.</summary>
    private static readonly Dictionary<string, string> ShardTypeRoles = new(StringComparer.Ordinal)
    {
        [SpikeNodeExtensions.InventoryTypeName] = NodeOptions.InventoryRole,
        [SpikeNodeExtensions.OrderTypeName] = NodeOptions.InventoryRole,
    };

    /// <summary>Resolved per command: the actor system exists only once the Akka hosted service has started.</summary>
    public ActorSystem System => services.GetRequiredService<ActorSystem>();

    public Cluster Cluster => Cluster.Get(System);

    public static IEnumerable<string> ShardTypes => ShardTypeRoles.Keys;

    /// <summary>The shard region of <paramref name="typeName"/> on this node, or null when the node runs only its proxy.</summary>
    /// <exception cref="CommandUsageException">The node knows no such shard type.</exception>
    public IActorRef? Region(string typeName)
    {
        var sharding = ClusterSharding.Get(System);
        if (sharding.ShardTypeNames.Contains(typeName))
        {
            return sharding.ShardRegion(typeName);
        }
        return ShardTypeRoles.ContainsKey(typeName)
            ? null
            : throw new CommandUsageException($"unknown shard type '{typeName}'; this cluster has: {string.Join(", ", ShardTypes)}");
    }

    /// <summary>The region, or else the proxy: both forward cluster-wide queries to the coordinator.</summary>
    public IActorRef RegionOrProxy(string typeName) => Region(typeName) ?? ClusterSharding.Get(System).ShardRegionProxy(typeName);

    public static string RoleOf(string typeName) => ShardTypeRoles[typeName];

    /// <summary>Members that host (or will host) the type's regions: those with its role, oldest first.</summary>
    public IReadOnlyList<Member> RegionMembers(string typeName) =>
        [.. Cluster.State.Members.Where(m => m.HasRole(RoleOf(typeName))).OrderBy(m => m, Member.AgeOrdering)];

    /// <summary>The coordinator runs as a cluster singleton: on the oldest Up (or leaving) member with the type's role.</summary>
    public Member? CoordinatorMember(string typeName) =>
        RegionMembers(typeName).FirstOrDefault(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting);

    /// <summary>Petabridge.Cmd's member line: <c>address | [roles] | status | [unreachable] | app-version</c>.</summary>
    public string MemberLine(Member member) =>
        $"{member.Address} | {Roles(member)} | {Status(member)} | {Reachability(member)} | {member.AppVersion}";

    public static string Roles(Member member) => "[" + string.Join(',', member.Roles.Order(StringComparer.Ordinal)) + "]";

    public static string Status(Member member) => member.Status.ToString().ToLowerInvariant();

    public string Reachability(Member member) =>
        Cluster.State.Unreachable.Any(u => u.UniqueAddress.Equals(member.UniqueAddress)) ? "unreachable" : "";

    /// <exception cref="CommandUsageException">Not an Akka address with host and port.</exception>
    public static Address ParseAddress(string text) =>
        Address.TryParse(text, out var address) && address.Host is not null && address.Port is > 0
            ? address
            : throw new CommandUsageException($"'{text}' is not a member address like akka.tcp://spike@127.0.0.1:4053");
}
