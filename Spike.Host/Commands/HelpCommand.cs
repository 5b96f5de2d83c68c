using Spike.Commands;

namespace Spike.Host.Commands;

public sealed class HelpCommand : ICommandHandler
{
    public CommandSpec Spec => CommandTable.Help;

    public async Task<int> RunAsync(ParsedCommand command, CommandOutput output, CancellationToken cancellationToken)
    {
        var width = CommandTable.All.Max(s => s.Usage.Length);
        foreach (var spec in CommandTable.All)
        {
            await output.LineAsync($"{spec.Usage["usage: ".Length..].PadRight(width - "usage: ".Length)}  {spec.Description}");
        }
        return CommandExitCodes.Ok;
    }
}
