using Akka.Actor;
using Spike.Commands;

namespace Spike.Host.Commands;

public sealed class ActorSystemCommand(CommandNode node) : ICommandHandler
{
    public CommandSpec Spec => CommandTable.ActorSystem;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        await output.LineAsync($"akka://{node.System.Name}");
        return CommandExitCodes.Ok;
    }
}

/// <summary>
/// This node's actors, depth first, read from the actor cells' children (exact and instant, unlike an
/// ActorSelection wildcard with Identify, which needs a timeout per level to know it has every answer).
/// </summary>
public sealed class ActorHierarchyCommand(CommandNode node) : ICommandHandler
{
    /// <summary>Entities are actors too: a node with many live sales must not flood the client.</summary>
    private const int MaxLines = 10_000;

    public CommandSpec Spec => CommandTable.ActorHierarchy;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var maxDepth = command.CountOption("-d") ?? int.MaxValue;
        var start = Find(command.Option("-s") ?? "/");
        var lines = 0;
        var pending = new Stack<(IActorRef Actor, int Depth)>([(start, 0)]);
        while (pending.TryPop(out var next))
        {
            if (++lines > MaxLines)
            {
                await output.LineAsync($"... stopped after {MaxLines} actors; narrow it with -s or -d");
                break;
            }
            await output.LineAsync(next.Actor.Path.ToStringWithoutAddress());
            if (next.Depth < maxDepth && next.Actor is ActorRefWithCell withCell)
            {
                // pushed in reverse so that children come out in name order
                foreach (var child in withCell.Children.OrderByDescending(c => c.Path.Name, StringComparer.Ordinal))
                {
                    pending.Push((child, next.Depth + 1));
                }
            }
        }
        return CommandExitCodes.Ok;
    }

    private IActorRef Find(string path)
    {
        IInternalActorRef current = ((ExtendedActorSystem)node.System).Provider.RootGuardian;
        foreach (var name in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = current is ActorRefWithCell withCell ? withCell.GetSingleChild(name) : ActorRefs.Nobody;
            if (current.IsNobody())
            {
                throw new CommandUsageException($"no actor at '{path}' on this node");
            }
        }
        return current;
    }
}
