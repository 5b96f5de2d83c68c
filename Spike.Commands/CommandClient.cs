using System.Net.Sockets;

namespace Spike.Commands;

/// <summary>Runs one command on a node's command host and streams its lines back.</summary>
public static class CommandClient
{
    /// <summary>Long enough for <c>cluster leave</c>, which waits until the node is removed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <paramref name="commandLine"/> and hands every line to <paramref name="onLine"/> as it arrives.
    /// Returns the command's exit code, or <see cref="CommandExitCodes.Unreachable"/> (with an error line) when the
    /// node cannot be reached or the connection breaks first.
    /// </summary>
    public static async Task<int> RunAsync(
        NodeEndpoint node, string token, string commandLine, Action<ReplyKind, string> onLine,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(onLine);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            using var client = new TcpClient { NoDelay = true };
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token))
            {
                connecting.CancelAfter(ConnectTimeout);
                await client.ConnectAsync(node.Host, node.Port, connecting.Token);
            }
            var stream = client.GetStream();
            await CommandWire.WriteRequestAsync(stream, new CommandRequest(token, commandLine), deadline.Token);
            while (true)
            {
                var frame = await CommandWire.ReadReplyAsync(stream, deadline.Token);
                if (frame.Kind == ReplyKind.Exit)
                {
                    return frame.ExitCode;
                }
                onLine(frame.Kind, frame.Text);
            }
        }
        catch (ArgumentException e)
        {
            // the command line or token is above the protocol's bounds: nothing was sent
            onLine(ReplyKind.Error, e.Message);
            return CommandExitCodes.Usage;
        }
        catch (Exception e) when (e is SocketException or IOException or CommandWireException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            onLine(ReplyKind.Error, e is OperationCanceledException
                ? $"no answer from {node} within {timeout ?? DefaultTimeout}"
                : $"{node}: {e.Message}");
            return CommandExitCodes.Unreachable;
        }
    }

    /// <summary>Runs a command and collects its output, for scripts and tests.</summary>
    public static async Task<CommandResult> RunToEndAsync(
        NodeEndpoint node, string token, string commandLine, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var output = new List<string>();
        var errors = new List<string>();
        var exitCode = await RunAsync(node, token, commandLine,
            (kind, line) => (kind == ReplyKind.Error ? errors : output).Add(line), timeout, cancellationToken);
        return new CommandResult(exitCode, output, errors);
    }
}

public sealed record CommandResult(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)
{
    public override string ToString() =>
        $"exit {ExitCode}\n{string.Join('\n', Output)}{(Errors.Count == 0 ? "" : "\nerrors:\n" + string.Join('\n', Errors))}";
}
