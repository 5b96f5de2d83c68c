using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spike.Commands;
using Spike.Host.Hosting;

namespace Spike.Host.Commands;

/// <summary>
/// The node's command host: a TCP listener (loopback by default) that runs one <see cref="CommandTable"/> command
/// per connection for <c>spike cli</c> (the <see cref="CommandWire"/> protocol). It opens only when a token is
/// configured. A peer that does not speak the protocol, sends too much or too slowly is dropped with a debug line:
/// nothing a client sends makes the node log an error.
/// </summary>
public sealed class CommandHost(IOptions<SpikeOptions> options, ICommandRunner runner, ILogger<CommandHost> logger) : BackgroundService
{
    /// <summary>Inspection is for a few operators and scripts; more at once is a runaway script.</summary>
    private const int MaxConnections = 8;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Above <c>cluster leave</c>'s wait for the node's removal.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(55);

    /// <summary>How long commands in flight may finish when the node stops (a <c>cluster leave</c> ends by stopping it).</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private int _open;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.CommandHost;
        if (settings.Port == 0)
        {
            logger.LogInformation("Command host off (Spike:CommandHost:Port is 0)");
            return;
        }
        if (string.IsNullOrEmpty(settings.Token))
        {
            logger.LogWarning(
                "Command host off: no token is configured. Set Spike:CommandHost:Token (env Spike__CommandHost__Token) to inspect this node with 'spike cli'");
            return;
        }
        if (!IPAddress.TryParse(settings.Host, out var address))
        {
            logger.LogError("Command host off: Spike:CommandHost:Host '{Host}' is not an IP address", settings.Host);
            return;
        }

        var token = new SharedSecret(settings.Token);
        using var listener = new TcpListener(address, settings.Port);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            logger.LogError("Command host off: cannot listen on {Host}:{Port}: {Reason}", settings.Host, settings.Port, e.Message);
            return;
        }
        logger.LogInformation("Command host listening on {Endpoint}", listener.LocalEndpoint);

        var running = new HashSet<Task>();
        try
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync(stoppingToken);
                lock (running)
                {
                    running.RemoveWhere(t => t.IsCompleted);
                    running.Add(ServeAsync(socket, token));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the node is stopping
        }
        finally
        {
            listener.Stop();
            Task[] inFlight;
            lock (running)
            {
                inFlight = [.. running];
            }
            await Task.WhenAny(Task.WhenAll(inFlight), Task.Delay(StopGrace, CancellationToken.None));
        }
    }

    private async Task ServeAsync(Socket socket, SharedSecret token)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        if (Interlocked.Increment(ref _open) > MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            logger.LogDebug("Command host dropped a connection from {Remote}: {Max} already open", remote, MaxConnections);
            return;
        }
        try
        {
            using var requestDeadline = new CancellationTokenSource(RequestTimeout);
            var request = await CommandWire.ReadRequestAsync(stream, requestDeadline.Token);
            using var commandDeadline = new CancellationTokenSource(CommandTimeout);
            if (!token.Matches(request.Token))
            {
                logger.LogWarning("Command host refused a command from {Remote}: wrong or missing token", remote);
                await CommandWire.WriteLineAsync(stream, ReplyKind.Error, "unauthorized: wrong or missing token", commandDeadline.Token);
                await CommandWire.WriteExitAsync(stream, CommandExitCodes.Unauthorized, commandDeadline.Token);
                return;
            }
            // Re-joined from its tokens: a command line cannot put a line break into the log.
            logger.LogInformation("Command from {Remote}: {Command}", remote, string.Join(' ', CommandTable.Tokenize(request.CommandLine)));
            var exitCode = await runner.RunAsync(request.CommandLine, new CommandOutput(stream, commandDeadline.Token), commandDeadline.Token);
            await CommandWire.WriteExitAsync(stream, exitCode, commandDeadline.Token);
        }
        catch (Exception e) when (e is CommandWireException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug("Command host closed the connection from {Remote}: {Reason}", remote, e.Message);
        }
        catch (Exception e)
        {
            // A fault of ours, not of the peer: worth a look, but the node carries on.
            logger.LogWarning(e, "Command host failed serving {Remote}", remote);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }
}
