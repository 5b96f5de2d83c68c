using Microsoft.Extensions.Logging;
using Spike.Commands;
using Spike.Host.Commands;
using Spike.Tests.Support;

namespace Spike.Tests.Commands;

public sealed class CommandDispatcherSpecs
{
    private readonly RecordingLogger<CommandDispatcher> _logger = new();

    [Fact]
    public void Should_refuse_to_be_built_when_a_command_of_the_table_has_no_handler()
    {
        var handlers = CommandTable.All.Where(s => s != CommandTable.SaleShow).Select(s => new FakeHandler(s));

        var error = Assert.Throws<InvalidOperationException>(() => new CommandDispatcher(handlers, _logger));

        Assert.Contains("sale show", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_print_the_error_and_the_usage_and_exit_2_when_the_line_does_not_parse()
    {
        var result = await RunAsync(Dispatcher(), "cluster down");

        Assert.Equal(CommandExitCodes.Usage, result.ExitCode);
        Assert.Equal(["missing <address>", "usage: cluster down <address>"], result.Errors);
    }

    [Fact]
    public async Task Should_print_the_usage_and_exit_2_when_the_handler_refuses_an_argument()
    {
        var dispatcher = Dispatcher(new FakeHandler(CommandTable.ClusterDown, () => throw new CommandUsageException("'x' is not a member address")));

        var result = await RunAsync(dispatcher, "cluster down x");

        Assert.Equal(CommandExitCodes.Usage, result.ExitCode);
        Assert.Equal(["'x' is not a member address", "usage: cluster down <address>"], result.Errors);
    }

    [Fact]
    public async Task Should_print_the_message_without_a_stack_trace_and_exit_1_when_the_handler_fails()
    {
        var dispatcher = Dispatcher(new FakeHandler(CommandTable.ClusterShow, () => throw new InvalidOperationException("boom")));

        var result = await RunAsync(dispatcher, "cluster show");

        Assert.Equal(CommandExitCodes.Failed, result.ExitCode);
        Assert.Equal(["cluster show failed: boom"], result.Errors);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("boom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_run_the_handler_of_the_parsed_command_when_the_line_parses()
    {
        var result = await RunAsync(Dispatcher(), "cluster-sharding region-stats -r inventory");

        Assert.Equal(CommandExitCodes.Ok, result.ExitCode);
        Assert.Equal(["cluster-sharding region-stats: -r=inventory"], result.Output);
    }

    /// <summary>A dispatcher whose handlers print their command, but for <paramref name="replacements"/>.</summary>
    private CommandDispatcher Dispatcher(params FakeHandler[] replacements) => new(
        CommandTable.All.Select(s => replacements.FirstOrDefault(r => r.Spec == s) ?? new FakeHandler(s)), _logger);

    private static Task<CommandResult> RunAsync(CommandDispatcher runner, string line) =>
        CommandCapture.RunAsync(output => runner.RunAsync(line, output, CancellationToken.None));

    private sealed class FakeHandler(CommandSpec spec, Action? fail = null) : ICommandHandler
    {
        public CommandSpec Spec => spec;

        public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
        {
            fail?.Invoke();
            await output.LineAsync($"{command.Spec.Name}: {string.Join(' ', command.Values.Select(v => $"{v.Key}={v.Value}"))}");
            return CommandExitCodes.Ok;
        }
    }
}
