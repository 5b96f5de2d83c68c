using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spike.Commands;
using Spike.Host.Commands;
using Spike.Host.Hosting;
using Spike.Tests.Support;

namespace Spike.Tests.Commands;

/// <summary>The command host's listener over real loopback TCP, with a stand-in for the commands.</summary>
public sealed class CommandHostSpecs : IAsyncLifetime
{
    private const string Token = "the-right-token";

    private readonly EchoRunner _runner = new();
    private readonly RecordingLogger<CommandHost> _logger = new();
    private readonly NodeEndpoint _endpoint = new("127.0.0.1", FreePort.Next());
    private CommandHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = Start(Token);
        await Poll.UntilAsync(() => Task.FromResult(_logger.Entries.Any(e => e.Message.Contains("listening", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the command host did not start listening");
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }

    [Fact]
    public async Task Should_run_the_command_and_stream_its_lines_when_the_token_matches()
    {
        var result = await CommandClient.RunToEndAsync(_endpoint, Token, "cluster show");

        Assert.Equal(CommandExitCodes.Ok, result.ExitCode);
        Assert.Equal(["ran: cluster show"], result.Output);
        Assert.Equal(["cluster show"], _runner.Calls);
    }

    [Theory]
    [InlineData("the-right-tokeN")] // same length
    [InlineData("the-right")] // shorter
    [InlineData("the-right-token-and-then-some")] // longer
    [InlineData("")] // none
    public async Task Should_refuse_without_running_the_command_when_the_token_is_wrong_missing_or_of_another_length(string token)
    {
        var result = await CommandClient.RunToEndAsync(_endpoint, token, "cluster leave");

        Assert.Equal(CommandExitCodes.Unauthorized, result.ExitCode);
        Assert.Equal(["unauthorized: wrong or missing token"], result.Errors);
        Assert.Empty(_runner.Calls);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("wrong or missing token", StringComparison.Ordinal));
        Assert.DoesNotContain(_logger.Entries, e => e.Message.Contains(Token, StringComparison.Ordinal));
    }

    public static TheoryData<string, byte[]> Garbage => new()
    {
        { "an HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray() },
        { "an oversized token", [.. "SPK1"u8, 0xFF, 0xFF] },
        { "a cut-off request", [.. "SPK1"u8, 0, 5, (byte)'a'] },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Should_close_the_connection_and_log_no_error_when_the_peer_does_not_speak_the_protocol(string what, byte[] bytes)
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(_endpoint.Host, _endpoint.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(bytes);
            client.Client.Shutdown(SocketShutdown.Send);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = await stream.ReadAsync(new byte[64], deadline.Token);
            Assert.True(read == 0, $"{what}: the host answered {read} bytes instead of closing");
        }

        Assert.Empty(_runner.Calls);
        Assert.DoesNotContain(_logger.Entries, e => e.Level >= LogLevel.Error);
        var after = await CommandClient.RunToEndAsync(_endpoint, Token, "actor system");
        Assert.Equal(CommandExitCodes.Ok, after.ExitCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Should_not_listen_and_warn_when_no_token_is_configured(string? token)
    {
        var logger = new RecordingLogger<CommandHost>();
        var port = FreePort.Next();
        using var host = new CommandHost(
            Options.Create(new SpikeOptions { CommandHost = new CommandHostOptions { Port = port, Token = token } }), _runner, logger);

        await host.StartAsync(CancellationToken.None);
        // A background service's ExecuteAsync runs on the thread pool, after StartAsync has returned.
        await Poll.UntilAsync(() => Task.FromResult(logger.Entries.Any(e => e.Level == LogLevel.Warning
            && e.Message.Contains("no token", StringComparison.Ordinal) && e.Message.Contains("Spike:CommandHost:Token", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the command host did not warn that it has no token");
        var result = await CommandClient.RunToEndAsync(new NodeEndpoint("127.0.0.1", port), "anything", "cluster show");
        await host.StopAsync(CancellationToken.None);

        Assert.Equal(CommandExitCodes.Unreachable, result.ExitCode);
    }

    private CommandHost Start(string token)
    {
        var host = new CommandHost(
            Options.Create(new SpikeOptions { CommandHost = new CommandHostOptions { Port = _endpoint.Port, Token = token } }), _runner, _logger);
        host.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return host;
    }

    private sealed class EchoRunner : ICommandRunner
    {
        private readonly ConcurrentQueue<string> _calls = new();

        public IReadOnlyCollection<string> Calls => _calls;

        public async Task<int> RunAsync(string commandLine, CommandOutput output, CancellationToken cancellationToken)
        {
            _calls.Enqueue(commandLine);
            await output.LineAsync("ran: " + commandLine);
            return CommandExitCodes.Ok;
        }
    }
}
