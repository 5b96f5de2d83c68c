using System.Globalization;
using Spectre.Console;
using Spike.Cli.Flash;
using Spike.Cli.Local;
using Spike.Commands;
using Spike.Sales;
using StackExchange.Redis;

namespace Spike.Cli.Demo;

/// <summary>
/// <c>spike demo</c>: a flash sale through nginx on the local cluster (brought up, or restarted, first). Unique buyers
/// buy one ticket each; halfway, the API node with the highest weight and the first inventory node (the first seed,
/// which hosts the shard coordinator) are killed with SIGKILL. Then the audit, the checkout (buyers pay, cancel, or let
/// their orders expire), the re-sale of the released tickets, the audit of the orders, and the killed nodes restarted.
/// </summary>
public sealed class FlashDemo(LocalCluster cluster, IAnsiConsole console, DemoSettings settings)
{
    /// <summary>The buyers' retries near the kill can queue in front of nginx: a share is judged over at least this many requests per buyer slot.</summary>
    private const int JudgedRequestsPerSlot = 20;

    /// <summary>A node's share of nginx's picks may be this far (relative) from its weight's share.</summary>
    private const double ShareTolerance = 0.10;

    private static readonly TimeSpan LongestGapTarget = TimeSpan.FromSeconds(2);

    /// <summary>The audit lines gathered since the last ones were printed.</summary>
    private readonly List<AuditCheck> _checks = [];

    private bool _failed;

    /// <summary>Runs the demo; true when every audit line passed.</summary>
    public async Task<bool> RunAsync(CancellationToken cancel)
    {
        var state = await cluster.UpAsync(cancel);
        var rows = await ProcessRow.ReadAllAsync(state, cancel);
        if (rows.FirstOrDefault(r => !r.IsReady) is { } unready)
        {
            throw new LocalClusterException($"{unready.Process.Name} is not ready; spike down && spike up");
        }
        var topology = state.Settings.Topology;
        var nginx = new Uri($"http://{topology.Host}:{topology.NginxPort}");
        using var admin = AdminClient.For(state);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = nginx, Timeout = TimeSpan.FromSeconds(10) };
        await WaitUntilNginxRoutesToEveryNodeAsync(http, topology, cancel);

        var sale = $"flash-{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        var folder = Path.Combine(cluster.Run.Root, "demo", sale);
        Directory.CreateDirectory(folder);
        console.WriteLine();
        Step($"a flash sale through nginx ({nginx}): '{sale}', {settings.Stock:N0} tickets, 1 per buyer");
        await admin.CreateSaleAsync(sale, settings.Stock, settings.PaymentWindowSeconds, cancel);
        console.WriteLine($"    PUT /admin/sales/{sale} {{\"stock\":{settings.Stock},\"perUserLimit\":1,\"paymentWindowSeconds\":{settings.PaymentWindowSeconds}}}");
        var victims = settings.Kill ? PickVictims(state) : [];
        var halfway = victims.Count > 0 ? (int)((settings.Stock + 1) / 2) : 0;
        Step($"{settings.Buyers:N0} unique buyers, {settings.Concurrency} at a time; each retries 429/502/503/504 and lost connections with its same requestId until it gets a final answer (200 reserved, 409 sold_out / limit_reached)");
        Step(victims.Count > 0
            ? $"halfway ({halfway:N0} reserved answers): SIGKILL {string.Join(" and ", victims.Select(v => $"{v.Name} (pid {v.Pid})"))}"
            : $"no node is killed (SPIKE_DEMO_KILL=0, or too few nodes for a majority to survive)");
        console.WriteLine();

        var crowd = new FlashCrowd(
            new FlashOptions(nginx, sale, settings.Buyers)
            {
                Concurrency = settings.Concurrency, Stock = settings.Stock, Halfway = halfway, AdminToken = admin.Token, AdminUrl = admin.Url,
            },
            progress => console.WriteLine(progress.ToLine()));
        var killing = KillAtHalfwayAsync(crowd.Halfway, victims);
        var result = await crowd.RunAsync(cancel);
        var killedAt = await killing;
        await File.WriteAllLinesAsync(Path.Combine(folder, "summary"), result.SummaryLines(), cancel);
        await File.WriteAllLinesAsync(Path.Combine(folder, "orders"), result.Orders.Select(o => o.ToLine()), cancel);

        var redis = await ConnectionMultiplexer.ConnectAsync($"{topology.Host}:{state.Settings.RedisPort}");
        await using (redis)
        {
            console.WriteLine();
            Step("requests served and tickets sold per API node (from X-Spike-Upstream)");
            console.Write(NodeTable(result, topology));
            console.WriteLine(killedAt is null
                ? "    (no kill: every request counts as \"before\")"
                : "    picked: nginx's weighted choice (first address of X-Spike-Upstream; a request in flight on a killed node is then answered by another one); answered: the node that answered (last address)");
            console.WriteLine();
            Step($"audit of '{sale}' (the sale in Redis and the {result.Reserved} reserved answers), then the demo's own checks");
            await AuditSaleAsync(redis, sale, result.Orders, cancel);
            await CheckTheSaleAsync(http, sale, result, killedAt, victims, state, cancel);
            PrintCheckLines();
            console.WriteLine();
            console.WriteLine($"    {result.Answers:N0} answers in {result.Elapsed.TotalSeconds:F1} s ({result.AnswersPerSecond:N0} answers/s), {result.Retries:N0} retries; by status: {string.Join(", ", result.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}");
            if (killedAt is not null)
            {
                console.WriteLine($"    the kill came at {killedAt.At.TotalSeconds:F1} s ({killedAt.Reserved:N0} reserved answers); the last ticket was reserved at {result.LastReservedAt?.TotalSeconds:F1} s");
            }
            console.WriteLine($"    raw results in {Path.GetRelativePath(cluster.Run.Repository, folder)}/ (summary, orders)");

            // the buyers go on to pay on the surviving nodes while the killed ones are still down
            await RunOrdersAsync(admin, redis, sale, folder, result.Orders, nginx, cancel);
        }
        if (killedAt is not null)
        {
            console.WriteLine();
            Step("restarting the killed nodes, so the system is whole again");
            await cluster.UpAsync(cancel);
        }
        console.WriteLine();
        console.WriteLine("The system stays up: ./spike.sh status | ./spike.sh bench | ./spike.sh down");
        return !_failed;
    }

    /// <summary>
    /// The API node with the highest weight (the last of equals) and the first inventory node, as long as a majority of
    /// the nodes survives (the cluster downs the minority side) and something is left to serve; fewer otherwise.
    /// </summary>
    public static List<RunProcess> PickVictims(RunState state)
    {
        var nodes = state.Topology.Nodes;
        var victims = new List<RunProcess>();
        var apis = nodes.Where(n => n.Kind == NodeRoles.Api).ToArray();
        var inventories = nodes.Where(n => n.Kind == NodeRoles.Inventory).ToArray();
        if (apis.Length >= 2)
        {
            victims.Add(Process(apis.Aggregate((best, n) => n.Weight >= best.Weight ? n : best)));
        }
        if (inventories.Length >= 2 && (nodes.Count - victims.Count - 1) * 2 > nodes.Count)
        {
            victims.Add(Process(inventories[0]));
        }
        return (nodes.Count - victims.Count) * 2 > nodes.Count ? victims : [];

        RunProcess Process(TopologyNode node) => state.Processes.Single(p => p.Name == node.Name);
    }

    private async Task<FlashHalfway?> KillAtHalfwayAsync(Task<FlashHalfway?> halfway, List<RunProcess> victims)
    {
        if (await halfway is not { } mark)
        {
            return null;
        }
        foreach (var victim in victims)
        {
            if (LocalProcesses.IsRunning(victim))
            {
                LocalProcesses.Kill(victim);
                console.WriteLine($"  >> {mark.At.TotalSeconds,6:F1} s  kill -9 {victim.Pid}: {victim.Name}");
            }
            else
            {
                console.MarkupLineInterpolated($"[yellow]{victim.Name} (pid {victim.Pid}) is not running any more; not killed[/]");
            }
        }
        return mark;
    }

    /// <summary>
    /// nginx leaves a node out for its fail_timeout after the node's old connections failed (a node the last demo killed
    /// and restarted); a sale started meanwhile would skew the shares judged below. One round of <c>/ping</c>s (twice
    /// the sum of the weights) that every node answers ends the wait.
    /// </summary>
    private async Task WaitUntilNginxRoutesToEveryNodeAsync(HttpClient http, TopologySettings topology, CancellationToken cancel)
    {
        var round = 2 * topology.EffectiveApiWeights.Sum();
        var wanted = topology.ApiPorts.Select(p => $"{topology.Host}:{p}").ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var seen = new HashSet<string>();
            for (var i = 0; i < round; i++)
            {
                try
                {
                    using var response = await http.GetAsync("/ping", cancel);
                    if (response.Headers.TryGetValues("X-Spike-Upstream", out var upstream))
                    {
                        seen.Add(upstream.First().Split(',')[0].Trim());
                    }
                }
                catch (HttpRequestException)
                {
                    // nginx itself restarting: the round goes on
                }
            }
            if (wanted.IsSubsetOf(seen))
            {
                return;
            }
        }
        console.MarkupLine("[yellow]nginx still leaves out an API node after 30 s; the shares may be skewed[/]");
    }

    private async Task AuditSaleAsync(ConnectionMultiplexer redis, string sale, IReadOnlyCollection<ReservedAnswer> answers, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var audit = await SaleAudit.ReadAsync(redis.GetDatabase(), sale, answers, new SaleAuditOptions { ExpectSoldOut = true });
        _checks.AddRange(audit.Checks);
    }

    private async Task CheckTheSaleAsync(HttpClient http, string sale, FlashResult result, FlashHalfway? killedAt,
        List<RunProcess> victims, RunState state, CancellationToken cancel)
    {
        var unexpected = result.Outcomes.Where(o => o.Key.StartsWith(FlashOutcomes.UnexpectedPrefix, StringComparison.Ordinal)).Sum(o => o.Value);
        var gaveUp = result.Outcomes.GetValueOrDefault(FlashOutcomes.GaveUp);
        var final = result.Buyers - result.Unfinished - gaveUp;
        Check("every buyer got a final answer", $"{final} of {result.Buyers} ({unexpected} unexpected)",
            result.Complete && gaveUp == 0 && unexpected == 0);
        CheckShares(result, state.Settings.Topology, victims, killedAt is not null);
        using (var late = await http.GetAsync($"/buy/ticket?sale={sale}&user={sale}-late&requestId=r{sale}-late", cancel))
        {
            Check("a late buyer is told sold out", $"{(int)late.StatusCode} {await late.Content.ReadAsStringAsync(cancel)}",
                (int)late.StatusCode == 409);
        }
        Check("time to sell out", result.SoldOutAt is { } soldOut ? $"{soldOut.TotalSeconds:F3} s from the first request" : "never (available > 0)",
            result.SoldOutAt is not null);
        // A dead node must not stop the sale; above the target it is reported, not failed (a slow machine).
        _checks.Add(new AuditCheck("longest gap between reserved answers",
            $"{result.LongestReservedGap.TotalSeconds:F3} s (ending at {result.LongestReservedGapEnd?.TotalSeconds:F3} s; target <= {LongestGapTarget.TotalSeconds:0} s)",
            result.LongestReservedGap <= LongestGapTarget ? AuditVerdict.Pass : AuditVerdict.Info));
        if (killedAt is not null)
        {
            var survivors = (await ProcessRow.ReadAllAsync(state, cancel)).Where(r => !victims.Contains(r.Process)).ToArray();
            Check("the other processes are ready", $"{survivors.Count(r => r.IsReady)} of {state.Processes.Count} ({victims.Count} killed)",
                survivors.All(r => r.IsReady));
        }
    }

    /// <summary>
    /// Each API node's share of nginx's picks follows its weight: before the kill over all nodes; after it over the
    /// survivors, reported only (nginx retries the dead node every fail_timeout and passes that request to its next
    /// peer, which skews the picks towards that one). Not the answers: a request in flight on a killed node is answered
    /// by another one.
    /// </summary>
    private void CheckShares(FlashResult result, TopologySettings topology, List<RunProcess> victims, bool killed)
    {
        var minimum = JudgedRequestsPerSlot * settings.Concurrency;
        var nodes = topology.ApiPorts.Zip(topology.EffectiveApiWeights, (port, weight) => (Address: $"{topology.Host}:{port}", Port: port, Weight: weight)).ToArray();
        var picks = result.Nodes.ToDictionary(n => n.Address);
        void Judge(string label, string when, Func<FlashNode, int> count, IEnumerable<(string Address, int Port, int Weight)> judged, AuditVerdict missed)
        {
            var group = judged.ToArray();
            var total = group.Sum(n => picks.TryGetValue(n.Address, out var node) ? count(node) : 0);
            var weights = group.Sum(n => n.Weight);
            if (total < minimum)
            {
                _checks.Add(new AuditCheck(label, $"{when}only {total} requests (< {minimum}): not judged", AuditVerdict.Skip));
                return;
            }
            var worst = group.Max(n =>
            {
                var expected = (double)n.Weight / weights;
                var share = (picks.TryGetValue(n.Address, out var node) ? count(node) : 0) / (double)total;
                return Math.Abs(share - expected) / expected;
            });
            _checks.Add(new AuditCheck(label, $"{when}worst {100 * worst:F1}% off, {total} requests",
                worst <= ShareTolerance ? AuditVerdict.Pass : missed));
        }
        Judge("nginx's picks follow the weights", killed ? "before the kill: " : "", n => n.Before.Picked, nodes, AuditVerdict.Fail);
        if (killed)
        {
            var survivors = nodes.Where(n => !victims.Any(v => v.Kind == ProcessKinds.Api && v.Port == n.Port));
            Judge("  ... and among the survivors", "after the kill: ", n => n.After.Picked, survivors, AuditVerdict.Info);
        }
    }

    /// <summary>One row per API node: weight and its share, nginx's picks and the answers before the kill, the answers after it, the totals.</summary>
    private static Table NodeTable(FlashResult result, TopologySettings topology)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in new[] { "node", "weight", "share", "picked before", "share", "answered before", "answered after", "share", "answered", "reserved" })
        {
            table.AddColumn(new TableColumn(header).RightAligned());
        }
        table.Columns[0].LeftAligned();
        var byAddress = result.Nodes.ToDictionary(n => n.Address);
        var totalWeight = topology.EffectiveApiWeights.Sum();
        var pickedBefore = result.Nodes.Sum(n => n.Before.Picked);
        var answeredAfter = result.Nodes.Sum(n => n.After.Answers);
        var known = topology.ApiPorts.Zip(topology.EffectiveApiWeights, (port, weight) => ($"{topology.Host}:{port}", (int?)weight));
        var others = result.Nodes.Select(n => n.Address).Except(topology.ApiPorts.Select(p => $"{topology.Host}:{p}")).Select(a => (a, (int?)null));
        foreach (var (address, weight) in known.Concat(others))
        {
            var node = byAddress.GetValueOrDefault(address) ?? new FlashNode(address, new FlashNodeCounts(0, 0, 0), new FlashNodeCounts(0, 0, 0));
            table.AddRow(
                address, weight?.ToString(CultureInfo.InvariantCulture) ?? "-", weight is { } w ? Percent(w, totalWeight) : "-",
                Number(node.Before.Picked), Percent(node.Before.Picked, pickedBefore), Number(node.Before.Answers),
                Number(node.After.Answers), Percent(node.After.Answers, answeredAfter),
                Number(node.Before.Answers + node.After.Answers), Number(node.Before.Reserved + node.After.Reserved));
        }
        return table;

        static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
        static string Percent(int part, int whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>After the sale: buyers pay or cancel, the other orders expire, their tickets are sold again, the orders are audited.</summary>
    private async Task RunOrdersAsync(AdminClient admin, ConnectionMultiplexer redis, string sale, string folder,
        IReadOnlyList<ReservedAnswer> orders, Uri nginx, CancellationToken cancel)
    {
        console.WriteLine();
        Step($"checkout: {settings.PayShare * 100:0}% of the buyers pay, {settings.CancelShare * 100:0}% cancel, the others let their orders expire ({settings.PaymentWindowSeconds} s payment window)");
        var checkout = await new Checkout(nginx, settings.PayShare, settings.CancelShare).RunAsync(orders, cancel);
        await File.WriteAllLinesAsync(Path.Combine(folder, "checkout"), checkout.Lines(), cancel);
        console.WriteLine($"    POST /orders/{{id}}/pay and /cancel: {string.Join(' ', checkout.Lines())}");

        Step("waiting for every unpaid order to expire (the order feed creates each order and expires it at its deadline)");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var settleBy = TimeSpan.FromSeconds(settings.PaymentWindowSeconds + 60);
        SaleView? view;
        while (!((view = await admin.ReadSaleAsync(sale, cancel)) is { Settled: true }))
        {
            if (clock.Elapsed > settleBy)
            {
                console.MarkupLineInterpolated($"[yellow]not every order was settled within {settleBy.TotalSeconds:0} s[/]");
                break;
            }
            console.WriteLine(view is null
                ? $"    {clock.Elapsed.TotalSeconds,4:0} s  (the sale view did not answer)"
                : $"    {clock.Elapsed.TotalSeconds,4:0} s  reserved {view.Reserved}, paid {view.Paid}, released {view.Released}, orders created {view.Orders} (lag {view.OrderLag})");
            await Task.Delay(TimeSpan.FromSeconds(2), cancel);
        }
        var settled = view ?? throw new LocalClusterException($"GET /admin/sales/{sale} does not answer");
        console.WriteLine($"    settled after {clock.Elapsed.TotalSeconds:0} s: reserved {settled.Reserved}, paid {settled.Paid}, released {settled.Released}; {settled.Available} tickets for sale again");

        Step($"re-sale: the {settled.Released:N0} released tickets to new buyers");
        var again = await new FlashCrowd(
            new FlashOptions(nginx, sale, (int)Math.Max(settled.Released * 3, 10))
            {
                UserPrefix = $"{sale}-again", Concurrency = settings.Concurrency, Stock = settled.Released, AdminToken = admin.Token, AdminUrl = admin.Url,
            },
            progress => console.WriteLine("  " + progress.ToLine())).RunAsync(cancel);
        await File.WriteAllLinesAsync(Path.Combine(folder, "resale-summary"), again.SummaryLines(), cancel);
        await File.WriteAllLinesAsync(Path.Combine(folder, "orders-again"), again.Orders.Select(o => o.ToLine()), cancel);

        console.WriteLine();
        Step($"audit of '{sale}' after the orders (with every reserved answer), then the orders' own checks");
        // the feed creates the re-sale's orders within a round or two
        var lagDeadline = DateTime.UtcNow.AddSeconds(30);
        while ((view = await admin.ReadSaleAsync(sale, cancel)) is not { OrderLag: 0 } && DateTime.UtcNow < lagDeadline)
        {
            await Task.Delay(500, cancel);
        }
        var final = view ?? settled;
        await AuditSaleAsync(redis, sale, [.. orders, .. again.Orders], cancel);
        var cancelled = checkout.Count("cancel_cancelled");
        var unpaid = checkout.LeftToExpire + checkout.Count("pay_already_expired") + checkout.Count("cancel_already_expired");
        var open = final.Held - final.Paid;
        Check("orders add up", $"reserved {final.Reserved} = paid {final.Paid} + released {final.Released} + open {open}",
            final.Reserved == final.Paid + final.Released + open);
        Check("accepted payments == paid orders", $"{checkout.Count("pay_paid")} == {final.Paid}", checkout.Count("pay_paid") == final.Paid);
        Check("unpaid orders expired", $"{final.Released - cancelled} == {unpaid} not paid or cancelled in time", final.Released - cancelled == unpaid);
        Check("released tickets sold again", $"{again.Reserved} == {settled.Released}", again.Reserved == settled.Released);
        Check("every reservation became an order", $"{final.Orders} orders of {final.Reserved} (lag {final.OrderLag})", final.OrderLag == 0);
        PrintCheckLines();
    }

    private void Check(string label, string values, bool passed) =>
        _checks.Add(new AuditCheck(label, values, passed ? AuditVerdict.Pass : AuditVerdict.Fail));

    /// <summary>Prints the checks gathered since the last call; a failed one fails the demo.</summary>
    private void PrintCheckLines()
    {
        foreach (var check in _checks)
        {
            console.WriteLine("    " + check);
        }
        _failed |= _checks.Any(c => c.Verdict == AuditVerdict.Fail);
        _checks.Clear();
    }

    private void Step(string text) => console.WriteLine($"==> {text}");
}
