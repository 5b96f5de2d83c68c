using Spike.Commands;
using Spike.Host.Commands;

namespace Spike.Tests.Support;

/// <summary>Runs a command in memory and reads back what it wrote, as a client would see it.</summary>
public static class CommandCapture
{
    public static async Task<CommandResult> RunAsync(Func<CommandOutput, Task<int>> run)
    {
        using var stream = new MemoryStream();
        var exitCode = await run(new CommandOutput(stream, CancellationToken.None));
        stream.Position = 0;
        var output = new List<string>();
        var errors = new List<string>();
        while (stream.Position < stream.Length)
        {
            var frame = await CommandWire.ReadReplyAsync(stream, CancellationToken.None);
            (frame.Kind == ReplyKind.Error ? errors : output).Add(frame.Text);
        }
        return new CommandResult(exitCode, output, errors);
    }
}
