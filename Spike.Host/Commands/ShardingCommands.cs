using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Spike.Commands;

namespace Spike.Host.Commands;

public sealed class ShardingRegionsCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ShardingRegions;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        foreach (var type in CommandNode.ShardTypes.Union(ClusterSharding.Get(node.System).ShardTypeNames).Order(StringComparer.Ordinal))
        {
            await output.LineAsync(node.Region(type) is null
                ? $"{type} | proxy | regions on members with role [{CommandNode.RoleOf(type)}]"
                : $"{type} | region");
        }
        return CommandExitCodes.Ok;
    }
}

/// <summary>
/// The whole cluster's regions from the coordinator (<see cref="GetClusterShardingStats"/>); a proxy forwards the
/// query to the coordinator as a region does, so it works on every node.
/// </summary>
public sealed class ShardingRegionStatsCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ShardingRegionStats;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var type = command.Option("-r")!;
        var stats = await node.RegionOrProxy(type).Ask<ClusterShardingStats>(
            new GetClusterShardingStats(CommandNode.QueryTimeout), CommandNode.QueryTimeout * 2, cancellationToken);
        if (stats.Regions.Count == 0)
        {
            await output.ErrorAsync($"no region of '{type}' answered: the coordinator is not reachable yet, or no region has registered");
            return CommandExitCodes.Failed;
        }
        var members = node.Cluster.State.Members.ToDictionary(m => m.Address);
        var coordinator = node.CoordinatorMember(type)?.Address;
        foreach (var (address, region) in stats.Regions.OrderBy(r => r.Key, Member.AddressOrdering))
        {
            var member = members.GetValueOrDefault(address);
            var roles = member is null ? "[]" : CommandNode.Roles(member);
            var status = member is null ? "removed" : CommandNode.Status(member);
            var reachability = member is null ? "" : node.Reachability(member);
            var isCoordinator = address.Equals(coordinator) ? "[coordinator]" : "";
            await output.LineAsync(
                $"{address} | {roles} | {status} | {reachability} | {isCoordinator} | shards: {region.Stats.Count} | entities: {region.Stats.Values.Sum()}");
        }
        return CommandExitCodes.Ok;
    }
}

/// <summary>
/// Every shard of the type with its entity count, asked of each region member's real region
/// (<see cref="GetShardRegionState"/> and its answer are serializable), so any node can tell.
/// </summary>
public sealed class ShardingShardStatsCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ShardingShardStats;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var type = command.Option("-r")!;
        node.Region(type); // refuses an unknown type before asking anyone
        var members = node.RegionMembers(type).Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving).ToArray();
        var answers = await Task.WhenAll(members.Select(async member =>
        {
            var region = node.System.ActorSelection(new RootActorPath(member.Address) / "system" / "sharding" / Uri.EscapeDataString(type));
            try
            {
                return (member.Address, State: await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, CommandNode.QueryTimeout, cancellationToken));
            }
            catch (AskTimeoutException)
            {
                return (member.Address, State: (CurrentShardRegionState?)null);
            }
        }));

        var shards = answers.Where(a => a.State is not null)
            .SelectMany(a => a.State!.Shards.Select(s => (Shard: s.ShardId, a.Address, Entities: s.EntityIds.Count)))
            .OrderBy(s => int.TryParse(s.Shard, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue)
            .ThenBy(s => s.Shard, StringComparer.Ordinal)
            .ToArray();
        await output.LinesAsync(shards.Select(s => $"shard: {s.Shard} | {s.Address} | entities: {s.Entities}"));
        await output.LineAsync($"Count: {shards.Length} shards, {shards.Sum(s => s.Entities)} entities");
        var silent = answers.Where(a => a.State is null).Select(a => a.Address.ToString()).ToArray();
        foreach (var address in silent)
        {
            await output.ErrorAsync($"{address}: its region did not answer within {CommandNode.QueryTimeout.TotalSeconds:0} s");
        }
        return silent.Length == 0 ? CommandExitCodes.Ok : CommandExitCodes.Failed;
    }
}

/// <summary>
/// Where an entity lives (<see cref="GetEntityLocation"/>). Only a real region answers it truthfully: a proxy knows
/// only the shards it has routed to. A region that has not routed to the entity's shard either does not know its
/// home, so the coordinator's statistics fill that in.
/// </summary>
public sealed class ShardingLocateCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ShardingLocate;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var type = command.Option("-r")!;
        var entityId = command.Option("-e")!;
        if (node.Region(type) is not { } region)
        {
            var hosts = node.RegionMembers(type).Select(m => m.Address.ToString()).DefaultIfEmpty("none yet");
            await output.ErrorAsync(
                $"this node runs only a proxy of '{type}' (roles {CommandNode.Roles(node.Cluster.SelfMember)}); locating an entity needs a real region: " +
                $"ask a member with role [{CommandNode.RoleOf(type)}]: {string.Join(", ", hosts)}");
            return CommandExitCodes.Failed;
        }

        var location = await region.Ask<EntityLocation>(
            new GetEntityLocation(entityId, CommandNode.QueryTimeout), CommandNode.QueryTimeout * 2, cancellationToken);
        if (!location.ShardRegion.Equals(Address.AllSystems))
        {
            var entity = location.EntityRef.HasValue ? $"running {location.EntityRef.Value.Path.ToStringWithoutAddress()}" : "not running";
            await output.LineAsync($"entity: {entityId} | shard: {location.ShardId} | region: {location.ShardRegion} | {entity}");
            return CommandExitCodes.Ok;
        }

        var stats = await region.Ask<ClusterShardingStats>(
            new GetClusterShardingStats(CommandNode.QueryTimeout), CommandNode.QueryTimeout * 2, cancellationToken);
        var home = stats.Regions.FirstOrDefault(r => r.Value.Stats.ContainsKey(location.ShardId)).Key;
        await output.LineAsync(home is null
            ? $"entity: {entityId} | shard: {location.ShardId} | region: none (the shard is not allocated) | not running"
            : $"entity: {entityId} | shard: {location.ShardId} | region: {home} | unknown here: run locate on that node to see the entity");
        return CommandExitCodes.Ok;
    }
}
