using System.CommandLine;
using Spike.Cli;

// One root command, one subcommand per verb of the tool: a new verb is a new Create() added here.
var root = new RootCommand("spike: inspect and operate a Spike flash-sale cluster")
{
    CliCommand.Create(),
    AuditCommand.Create(),
    BenchCommand.Create(),
    CheckoutCommand.Create(),
    FlashCommand.Create(),
    TopologyCommand.Create(),
    DemoCommand.Create(),
};
foreach (var command in LocalClusterCommands.Create())
{
    root.Subcommands.Add(command);
}
return await root.Parse(args).InvokeAsync();
