using System.CommandLine;
using Spectre.Console;
using Spike.Cli.Demo;
using Spike.Cli.Local;
using Spike.Commands;

namespace Spike.Cli;

/// <summary><c>spike demo</c>: the flash sale with a node crash on the local cluster (<see cref="FlashDemo"/>); settings from <c>SPIKE_DEMO_*</c>.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo",
            "bring the local cluster up (or restart what died), run a flash sale through nginx with two nodes killed halfway, the checkout and the re-sale, and audit it");
        command.SetAction((_, cancel) => LocalClusterCommands.InCheckout(async run =>
        {
            try
            {
                var settings = DemoSettings.FromEnvironment();
                using var cluster = new LocalCluster(run, Terminal.Output);
                if (await new FlashDemo(cluster, Terminal.Output, settings).RunAsync(cancel))
                {
                    return CommandExitCodes.Ok;
                }
                Terminal.Errors.WriteLine("spike demo: the demo audit failed (FAIL lines above)");
                return CommandExitCodes.Failed;
            }
            catch (Exception e) when (e is LocalClusterException or FormatException or HttpRequestException)
            {
                Terminal.Errors.WriteLine($"spike demo: {e.Message}");
                return CommandExitCodes.Failed;
            }
        }));
        return command;
    }
}
