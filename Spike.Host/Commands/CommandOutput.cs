using Spike.Commands;

namespace Spike.Host.Commands;

/// <summary>Where a command writes: each line goes to the client as it is written (a long <c>cluster leave</c> shows progress).</summary>
public sealed class CommandOutput(Stream stream, CancellationToken cancellationToken)
{
    public Task LineAsync(string line) => CommandWire.WriteLineAsync(stream, ReplyKind.Output, line, cancellationToken);

    public Task ErrorAsync(string line) => CommandWire.WriteLineAsync(stream, ReplyKind.Error, line, cancellationToken);

    public async Task LinesAsync(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            await LineAsync(line);
        }
    }
}

/// <summary>Runs one command line and returns its exit code; <see cref="CommandDispatcher"/> in a node.</summary>
public interface ICommandRunner
{
    Task<int> RunAsync(string commandLine, CommandOutput output, CancellationToken cancellationToken);
}

/// <summary>One command of <see cref="CommandTable"/>.</summary>
public interface ICommandHandler
{
    CommandSpec Spec { get; }

    Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken);
}

/// <summary>An argument the command cannot use (not an address, an unknown shard type): printed with the usage line, exit 2.</summary>
public sealed class CommandUsageException : Exception
{
    public CommandUsageException()
    {
    }

    public CommandUsageException(string message) : base(message)
    {
    }

    public CommandUsageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
