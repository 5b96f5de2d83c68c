using Akka.Actor;
using Microsoft.Extensions.Logging;
using Spike.Actors.Inventory;
using Spike.Commands;

namespace Spike.Host.Commands;

/// <summary>
/// Parses a command line against <see cref="CommandTable"/> and runs its handler. Whatever goes wrong ends as a
/// line for the client and an exit code: a usage line (2) for what the table or the handler refuses, a message (1)
/// for a failure; never a stack trace.
/// </summary>
public sealed class CommandDispatcher : ICommandRunner
{
    private readonly Dictionary<CommandSpec, ICommandHandler> _handlers;
    private readonly ILogger<CommandDispatcher> _logger;

    /// <exception cref="InvalidOperationException">A command of the table has no handler, or one has two.</exception>
    public CommandDispatcher(IEnumerable<ICommandHandler> handlers, ILogger<CommandDispatcher> logger)
    {
        _handlers = new Dictionary<CommandSpec, ICommandHandler>(ReferenceEqualityComparer.Instance);
        foreach (var handler in handlers)
        {
            if (!_handlers.TryAdd(handler.Spec, handler))
            {
                throw new InvalidOperationException($"two handlers for '{handler.Spec.Name}'");
            }
        }
        var missing = CommandTable.All.Where(spec => !_handlers.ContainsKey(spec)).Select(spec => spec.Name).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException("no handler for: " + string.Join(", ", missing));
        }
        _logger = logger;
    }

    public async Task<int> RunAsync(string commandLine, CommandOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parse = CommandTable.Parse(commandLine);
        if (parse.Command is null)
        {
            await output.ErrorAsync(parse.Error!);
            await UsageAsync(output, parse.Usage);
            return CommandExitCodes.Usage;
        }
        try
        {
            return await _handlers[parse.Command.Spec].RunAsync(parse.Command, output, cancellationToken);
        }
        catch (CommandUsageException e)
        {
            await output.ErrorAsync(e.Message);
            await UsageAsync(output, parse.Usage);
            return CommandExitCodes.Usage;
        }
        catch (AskTimeoutException)
        {
            await output.ErrorAsync($"{parse.Command.Spec.Name}: no answer in time from the actors asked");
            return CommandExitCodes.Failed;
        }
        catch (InventoryUnavailableException e)
        {
            await output.ErrorAsync($"{parse.Command.Spec.Name}: Redis is unavailable ({e.Message})");
            return CommandExitCodes.Failed;
        }
        catch (Exception e) when (e is not (IOException or OperationCanceledException or ObjectDisposedException))
        {
            // A fault in a handler: the client gets the message, the node's log the details.
            _logger.LogWarning(e, "Command '{Command}' failed", parse.Command.Spec.Name);
            await output.ErrorAsync($"{parse.Command.Spec.Name} failed: {e.Message}");
            return CommandExitCodes.Failed;
        }
    }

    private static async Task UsageAsync(CommandOutput output, string usage)
    {
        foreach (var line in usage.Split('\n'))
        {
            await output.ErrorAsync(line);
        }
    }
}
