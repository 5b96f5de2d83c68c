using Akka.Cluster;
using Spike.Commands;

namespace Spike.Host.Commands;

public sealed class ClusterShowCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterShow;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var state = node.Cluster.State;
        // An unreachable member is normally in Members too; the union keeps one that is not yet or no longer.
        var members = state.Members.Union(state.Unreachable).OrderBy(m => m.Address, Member.AddressOrdering).ToArray();
        await output.LinesAsync(members.Select(node.MemberLine));
        await output.LineAsync($"Count: {members.Length} nodes");
        return CommandExitCodes.Ok;
    }
}

public sealed class ClusterStatusCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterStatus;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        await output.LineAsync(node.MemberLine(node.Cluster.SelfMember));
        return CommandExitCodes.Ok;
    }
}

public sealed class ClusterLeaderCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterLeader;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        if (node.Cluster.State.Leader is not { } leader)
        {
            await output.ErrorAsync("no leader: this node has not joined a cluster, or the cluster has no Up member it can reach");
            return CommandExitCodes.Failed;
        }
        await output.LineAsync(leader.ToString());
        return CommandExitCodes.Ok;
    }
}

public sealed class ClusterJoinCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterJoin;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var address = CommandNode.ParseAddress(command.Argument("address"));
        // A member that is already in a cluster ignores the join (Akka logs that it did).
        node.Cluster.Join(address);
        await output.LineAsync($"joining {address}");
        return CommandExitCodes.Ok;
    }
}

/// <summary>
/// Leaves gracefully and waits until this node is removed, so the command is usable as a pre-stop hook. The
/// node's process then stops on its own: the removed actor system terminates and takes the host with it.
/// </summary>
public sealed class ClusterLeaveCommand(CommandNode node) : ICommandHandler
{
    private static readonly TimeSpan RemovalTimeout = TimeSpan.FromSeconds(45);

    public CommandSpec Spec => CommandTable.ClusterLeave;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var self = node.Cluster.SelfAddress;
        await output.LineAsync($"leaving {self}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RemovalTimeout);
        try
        {
            await node.Cluster.LeaveAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await output.ErrorAsync($"{self} is still leaving after {RemovalTimeout.TotalSeconds:0} s; 'cluster show' on another node tells when it is gone");
            return CommandExitCodes.Failed;
        }
        await output.LineAsync($"left: {self} is removed from the cluster; its process stops now");
        return CommandExitCodes.Ok;
    }
}

public sealed class ClusterDownCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterDown;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var address = CommandNode.ParseAddress(command.Argument("address"));
        var state = node.Cluster.State;
        if (!state.Members.Concat(state.Unreachable).Any(m => m.Address.Equals(address)))
        {
            await output.ErrorAsync($"{address} is not a member of this cluster ('cluster show' lists them)");
            return CommandExitCodes.Failed;
        }
        node.Cluster.Down(address);
        await output.LineAsync($"downing {address}");
        return CommandExitCodes.Ok;
    }
}

public sealed class ClusterDownUnreachableCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ClusterDownUnreachable;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var unreachable = node.Cluster.State.Unreachable.Select(m => m.Address).Order(Member.AddressOrdering).ToArray();
        if (unreachable.Length == 0)
        {
            await output.LineAsync("no unreachable members");
            return CommandExitCodes.Ok;
        }
        foreach (var address in unreachable)
        {
            node.Cluster.Down(address);
            await output.LineAsync($"downing {address}");
        }
        return CommandExitCodes.Ok;
    }
}
