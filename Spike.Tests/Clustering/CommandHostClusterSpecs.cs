using System.Diagnostics;
using System.Text.RegularExpressions;
using Spike.Commands;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Clustering;

/// <summary>
/// Every command of the command host against real node processes (the <see cref="ProcessCluster"/> topology),
/// through the client library and, for the exit code and output of a one-shot run, through the spike CLI itself.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class CommandHostClusterSpecs(RedisServerFixture redis, ITestOutputHelper output)
{
    private static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Should_answer_every_inspection_command_in_its_shape_when_run_against_a_live_cluster()
    {
        await using var cluster = await ProcessCluster.StartAsync(redis, inventoryNodes: 2, weights: [1]);
        var (inventory0, inventory1, api) = (cluster.InventoryNodes[0], cluster.InventoryNodes[1], cluster.ApiNodes[0]);
        var everyone = new[] { inventory0, inventory1, api };
        var sale = await cluster.CreateSaleAsync(stock: 100);

        foreach (var node in everyone)
        {
            Assert.Equal(["akka://spike"], (await RunAsync(node, "actor system")).Output);
        }

        var top = await RunAsync(api, "actor hierarchy -d 1");
        Assert.Equal(["/", "/system", "/user"], top.Output);
        Assert.Contains("/user/stock", (await RunAsync(api, "actor hierarchy -s /user")).Output);
        Assert.Contains("/system/sharding/inventory", (await RunAsync(inventory0, "actor hierarchy -s /system/sharding -d 1")).Output);
        await AssertUsageAsync(api, "actor hierarchy -s /no/such/actor", "no actor at '/no/such/actor' on this node");

        // cluster show: one line per member in Petabridge.Cmd's shape, then the count
        var show = await RunAsync(api, "cluster show");
        Assert.Equal("Count: 3 nodes", show.Output[^1]);
        var members = show.Output.SkipLast(1).Select(line => MemberLine().Match(line)).ToArray();
        Assert.All(members, m => Assert.True(m.Success, $"not a member line: '{m.Value}'\n{show}"));
        Assert.Equal(everyone.Select(n => n.AkkaAddress).Order(), members.Select(m => m.Groups["address"].Value).Order());
        Assert.All(members, m => Assert.Equal("up", m.Groups["status"].Value));
        Assert.Equal(everyone.Select(n => $"[{n.Role}]").Order(), members.Select(m => m.Groups["roles"].Value).Order());

        var status = await RunAsync(inventory1, "cluster status");
        Assert.Equal([show.Output.Single(l => l.StartsWith(inventory1.AkkaAddress + " ", StringComparison.Ordinal))], status.Output);

        var leader = Assert.Single((await RunAsync(api, "cluster leader")).Output);
        Assert.Contains(leader, everyone.Select(n => n.AkkaAddress));

        Assert.Equal([$"joining {inventory0.AkkaAddress}"], (await RunAsync(api, $"cluster join {inventory0.AkkaAddress}")).Output);

        // sharding: the inventory nodes host regions, the API node a proxy
        Assert.Equal(["inventory | region", "order | region"], (await RunAsync(inventory0, "cluster-sharding regions")).Output);
        Assert.Equal(["inventory | proxy | regions on members with role [inventory]", "order | proxy | regions on members with role [inventory]"], (await RunAsync(api, "cluster-sharding regions")).Output);

        // A region that has not answered the coordinator in time is left out of one answer: each node is asked
        // until both inventory regions are listed, then the lines are checked.
        var inventoryRegions = new[] { inventory0.AkkaAddress, inventory1.AkkaAddress }.Order().ToArray();
        foreach (var node in everyone)
        {
            CommandResult regionStats = null!;
            await Poll.UntilAsync(async () =>
                {
                    regionStats = await RunAsync(node, "cluster-sharding region-stats -r inventory");
                    return regionStats.Output.Select(line => RegionStatsLine().Match(line)).Where(r => r.Success)
                        .Select(r => r.Groups["address"].Value).Order().SequenceEqual(inventoryRegions);
                },
                TimeSpan.FromSeconds(20), "region-stats never listed both inventory regions");
            var regions = regionStats.Output.Select(line => RegionStatsLine().Match(line)).ToArray();
            Assert.All(regions, r => Assert.True(r.Success, $"not a region-stats line: '{r.Value}'\n{regionStats}"));
            Assert.Equal(new[] { inventory0.AkkaAddress, inventory1.AkkaAddress }.Order(), regions.Select(r => r.Groups["address"].Value).Order());
            Assert.Single(regions, r => r.Groups["coordinator"].Success);
            Assert.True(regions.Sum(r => int.Parse(r.Groups["entities"].Value, System.Globalization.CultureInfo.InvariantCulture)) >= 1,
                $"the sale's InventoryActor is not counted\n{regionStats}");
        }
        await AssertUsageAsync(api, "cluster-sharding region-stats -r nope", "unknown shard type 'nope'; this cluster has: inventory, order");

        var shardStats = await RunAsync(api, "cluster-sharding shard-stats -r inventory");
        Assert.Matches(@"^Count: \d+ shards, \d+ entities$", shardStats.Output[^1]);
        Assert.All(shardStats.Output.SkipLast(1), line => Assert.Matches(
            $@"^shard: \d+ \| ({Regex.Escape(inventory0.AkkaAddress)}|{Regex.Escape(inventory1.AkkaAddress)}) \| entities: \d+$", line));

        // locate: a real region answers; the API node's proxy cannot, and says where to ask
        var fromProxy = await api.RunCommandAsync($"cluster-sharding locate -r inventory -e {sale}");
        Assert.Equal(CommandExitCodes.Failed, fromProxy.ExitCode);
        Assert.Contains("only a proxy", Assert.Single(fromProxy.Errors), StringComparison.Ordinal);
        var located = new List<Match>();
        foreach (var node in new[] { inventory0, inventory1 })
        {
            var line = Assert.Single((await RunAsync(node, $"cluster-sharding locate -r inventory -e {sale}")).Output);
            var match = LocateLine().Match(line);
            Assert.True(match.Success, $"not a locate line: '{line}'");
            Assert.Equal(sale, match.Groups["entity"].Value);
            located.Add(match);
        }
        Assert.Single(located.Select(l => (l.Groups["shard"].Value, l.Groups["region"].Value)).Distinct());
        var home = located[0].Groups["region"].Value;
        var hostLine = located[inventory0.AkkaAddress == home ? 0 : 1].Value;
        Assert.EndsWith($"| running /system/sharding/inventory/{located[0].Groups["shard"].Value}/{sale}", hostLine, StringComparison.Ordinal);
        Assert.Contains(shardStats.Output, l => l.StartsWith($"shard: {located[0].Groups["shard"].Value} | {home} | entities: ", StringComparison.Ordinal));

        // sales, from Redis
        var list = await RunAsync(api, "sale list");
        Assert.Contains($"{sale} | total: 100 | held: 0 | available: 100 | state: open", list.Output);
        Assert.Matches(@"^Count: \d+ sales$", list.Output[^1]);
        var shown = await RunAsync(inventory1, $"sale show {sale}");
        Assert.Equal([$"sale: {sale}", "total: 100", "held: 0", "available: 100", "per-user limit: 1", "payment window: 300 s",
            "opens at: —", "closes at: —", "state: open", "reservations made: 0",
            "reserve calls: 0", "orders: 0 created, 0 paid, 0 released | feed lag: 0"], shown.Output);
        var unknown = await api.RunCommandAsync("sale show no-such-sale");
        Assert.Equal(CommandExitCodes.Failed, unknown.ExitCode);
        Assert.Equal(["unknown sale 'no-such-sale'"], unknown.Errors);

        // help, unknown commands, bad arguments, a wrong token
        Assert.Equal(CommandTable.All.Count, (await RunAsync(api, "help")).Output.Count);
        await AssertUsageAsync(api, "cluster frobnicate", "unknown command 'cluster frobnicate'");
        await AssertUsageAsync(api, "cluster down", "missing <address>");
        await AssertUsageAsync(api, "cluster down not-an-address", "'not-an-address' is not a member address like akka.tcp://spike@127.0.0.1:4053");
        var intruder = await CommandClient.RunToEndAsync(api.CommandHost, "not-the-token", "cluster leave");
        Assert.Equal(CommandExitCodes.Unauthorized, intruder.ExitCode);
        Assert.Equal(3, (await RunAsync(api, "cluster show")).Output.Count - 1);

        // the spike tool itself: plain lines on stdout, the command's exit code, the token from the environment
        var (exitCode, stdout, stderr) = await RunCliAsync(["cli", $"127.0.0.1:{inventory0.CommandPort}", "cluster-sharding", "region-stats", "-r", "inventory"]);
        Assert.True(exitCode == 0, stderr);
        Assert.Equal(2, stdout.Count(l => RegionStatsLine().IsMatch(l)));
        (exitCode, _, stderr) = await RunCliAsync(["cli", $"127.0.0.1:{api.CommandPort}", "cluster", "down"]);
        Assert.Equal(CommandExitCodes.Usage, exitCode);
        Assert.Contains("usage: cluster down <address>", stderr, StringComparison.Ordinal);
        (exitCode, _, _) = await RunCliAsync(["cli", $"127.0.0.1:{api.CommandPort}", "actor", "system", "--token", "wrong"]);
        Assert.Equal(CommandExitCodes.Unauthorized, exitCode);
    }

    [Fact]
    public async Task Should_remove_members_when_they_are_downed_leave_or_are_unreachable_and_downed()
    {
        await using var cluster = await ProcessCluster.StartAsync(redis, inventoryNodes: 2, weights: [1, 1]);
        var (inventory0, inventory1) = (cluster.InventoryNodes[0], cluster.InventoryNodes[1]);
        var (downed, crashed) = (cluster.ApiNodes[0], cluster.ApiNodes[1]);

        // a crashed node: unreachable, then downed by down-unreachable before the split-brain resolver would
        crashed.Kill();
        // polled quietly: only the final state goes to the test output
        await Poll.UntilAsync(async () => (await inventory0.RunCommandAsync("cluster show")).Output
                .Any(l => l.StartsWith(crashed.AkkaAddress + " ", StringComparison.Ordinal) && l.Contains(" | unreachable | ", StringComparison.Ordinal)),
            MembershipTimeout, $"{crashed.AkkaAddress} never showed as unreachable");
        Assert.Contains($"downing {crashed.AkkaAddress}", (await RunAsync(inventory0, "cluster down-unreachable")).Output);

        // a live node downed from another one: removed, and its process stops
        Assert.Equal([$"downing {downed.AkkaAddress}"], (await RunAsync(inventory0, $"cluster down {downed.AkkaAddress}")).Output);
        await Poll.UntilAsync(() => Task.FromResult(downed.Process.HasExited), MembershipTimeout, "the downed node did not stop");

        // a node that leaves: the command waits until it is removed, then its process stops
        var leave = await RunAsync(inventory1, "cluster leave");
        Assert.Equal([$"leaving {inventory1.AkkaAddress}", $"left: {inventory1.AkkaAddress} is removed from the cluster; its process stops now"], leave.Output);
        await Poll.UntilAsync(() => Task.FromResult(inventory1.Process.HasExited), MembershipTimeout, "the node that left did not stop");

        await Poll.UntilAsync(async () => (await inventory0.RunCommandAsync("cluster show")).Output.Count == 2, MembershipTimeout,
            "the removed members are still listed");
        var show = await RunAsync(inventory0, "cluster show");
        Assert.Equal("Count: 1 nodes", show.Output[^1]);
        Assert.StartsWith($"{inventory0.AkkaAddress} | [inventory] | up |  | ", show.Output[0], StringComparison.Ordinal);
        Assert.Equal([$"no unreachable members"], (await RunAsync(inventory0, "cluster down-unreachable")).Output);
        var notMember = await inventory0.RunCommandAsync($"cluster down {downed.AkkaAddress}");
        Assert.Equal(CommandExitCodes.Failed, notMember.ExitCode);
        Assert.Equal([$"{downed.AkkaAddress} is not a member of this cluster ('cluster show' lists them)"], notMember.Errors);
    }

    /// <summary>Runs a command that must succeed (exit 0, no error lines) and logs it.</summary>
    private async Task<CommandResult> RunAsync(ClusterNode node, string commandLine)
    {
        var result = await node.RunCommandAsync(commandLine);
        output.WriteLine($"{node.Role} {node.AkkaPort}> {commandLine}\n{result}");
        Assert.True(result.ExitCode == CommandExitCodes.Ok && result.Errors.Count == 0, $"{commandLine} on {node.AkkaAddress}: {result}");
        return result;
    }

    private static async Task AssertUsageAsync(ClusterNode node, string commandLine, string error)
    {
        var result = await node.RunCommandAsync(commandLine);
        Assert.Equal(CommandExitCodes.Usage, result.ExitCode);
        Assert.Equal(error, result.Errors[0]);
        Assert.StartsWith("usage: ", result.Errors[1], StringComparison.Ordinal);
        Assert.DoesNotContain(result.Errors, line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    /// <summary>The spike tool as an operator runs it, with the token in SPIKE_CMD_TOKEN (a --token overrides it).</summary>
    private static async Task<(int ExitCode, string[] Stdout, string Stderr)> RunCliAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "spike.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["SPIKE_CMD_TOKEN"] = ProcessCluster.CommandToken;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    [GeneratedRegex(@"^(?<address>akka\.tcp://spike@127\.0\.0\.1:\d+) \| (?<roles>\[[a-z,]*\]) \| (?<status>[a-z]+) \| (?<unreachable>unreachable)? \| \S+$")]
    private static partial Regex MemberLine();

    [GeneratedRegex(@"^(?<address>akka\.tcp://spike@127\.0\.0\.1:\d+) \| \[inventory\] \| up \|  \| (?<coordinator>\[coordinator\])? \| shards: \d+ \| entities: (?<entities>\d+)$")]
    private static partial Regex RegionStatsLine();

    [GeneratedRegex(@"^entity: (?<entity>\S+) \| shard: (?<shard>\d+) \| region: (?<region>akka\.tcp://spike@127\.0\.0\.1:\d+) \| .+$")]
    private static partial Regex LocateLine();
}
