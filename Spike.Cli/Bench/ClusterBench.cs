using System.Diagnostics;
using System.Globalization;
using Spike.Cli.Local;
using Spike.Sales;
using static Spike.Cli.Bench.BenchChecks;

namespace Spike.Cli.Bench;

/// <summary>
/// <c>spike bench cluster</c>: the cluster through nginx. (n) the success path through nginx, (d) directly on one API
/// node, (p) /ping through nginx, (g) the Go anchor behind its own nginx, (s) the time to sell out a sale to a crowd of
/// unique buyers; then 200 buys of the sold-out sale (a sold-out node answers them without Redis), the tables, the audit of
/// every sale and <c>spike audit</c> of the sold-out one.
/// </summary>
internal sealed class ClusterBench(BenchSession session)
{
    private static readonly string[] CpuGroups = ["api", "inventory", "nginx", "redis"];
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SelloutPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>Every wrk thread stops buying after 20 sold-out answers: the buys in flight then get this long to be answered.</summary>
    private static readonly TimeSpan SelloutDrain = TimeSpan.FromSeconds(2);

    /// <summary>The buys of new users sent to the sold-out sale, one at a time.</summary>
    private const int SoldOutBuys = 200;

    private static readonly TextTable Runs = new(-38, 9, 8, 8, 9, 9, 6, 6, 6, 6, -44);
    private static readonly TextTable Sellout = new(-60, -62);
    private static readonly TextTable Checks = new(-50, -30, -11, -6);

    /// <returns>true when every audit line passed</returns>
    public async Task<bool> RunAsync(CancellationToken cancel)
    {
        var settings = session.Settings;
        var topology = session.State.Settings.Topology;
        var directPort = settings.DirectPort ?? topology.ApiPorts[0];
        var direct = session.Process(ProcessKinds.Api, directPort)
            ?? throw new BenchException($"SPIKE_BENCH_DIRECT_PORT={directPort} is not one of the API ports ({string.Join(' ', topology.ApiPorts)})");
        var nginxPids = session.NginxPids();
        if (nginxPids.Count == 0)
        {
            throw new BenchException("nginx is not part of the running system; ./spike.sh down && ./spike.sh up");
        }
        var redisPids = session.Process(ProcessKinds.Redis) is { } redis ? new[] { redis.Pid } : [];
        var spikeGroups = Groups(
            [.. session.State.Processes.Where(p => p.Kind == ProcessKinds.Api).Select(p => p.Pid)],
            [.. session.State.Processes.Where(p => p.Kind == ProcessKinds.Inventory).Select(p => p.Pid)],
            nginxPids, redisPids);
        session.Groups = spikeGroups;
        var nginx = session.Nginx;
        var directUrl = $"http://{session.Host}:{directPort}";
        var runId = session.RunId;
        var (saleN, saleD, saleW, saleS) = ($"{runId}-n", $"{runId}-d", $"{runId}-w", $"{runId}-s");
        var apiNodes = topology.ApiPorts.Count;
        var weights = string.Join(':', topology.EffectiveApiWeights);

        session.Step($"cluster bench {runId}: nginx {nginx} over {apiNodes} API nodes (weights {weights}), {topology.InventoryNodes} inventory nodes; wrk -t{settings.Threads} -c{settings.Connections}, {settings.Seconds} s per run (raw output in .run/bench/{runId})");
        session.Step($"warm-up {settings.ClusterWarmup} s: buy path and /ping through nginx");
        await session.CreateSaleAsync(saleW, settings.Stock, cancel);
        await session.WrkAsync(WrkRun.WarmupPrefix + "buy", "buy", saleW, (settings.ClusterWarmup + 1) / 2, nginx, cancel);
        if (settings.ClusterWarmup / 2 > 0)
        {
            await session.WrkAsync(WrkRun.WarmupPrefix + "ping", "ping", "-", settings.ClusterWarmup / 2, nginx, cancel);
        }

        // the runs without Spike's buy path first, once the order feed has created the warm-up's orders: its work after a
        // buying run belongs to that run, not to the runs that follow
        await session.WaitOrdersAsync(cancel, saleW);
        session.Step("(p) GET /ping through nginx: the HTTP ceiling of nginx + the API nodes");
        await Task.Delay(Settle, cancel);
        var p = await session.WrkAsync("p", "ping", "-", settings.Seconds, nginx, cancel);

        session.Step($"(g) the Go anchor (the ticket-spike server Spike's design comes from), one per API port with the same weights, behind its own nginx ({session.Host}:{settings.GoAnchorNginxPort})");
        WrkRun? g = null;
        await using (var anchors = new BenchAnchors(session))
        {
            var goAnchor = await anchors.StartGoAnchorAsync(reason => session.Say("    skipped: " + reason), cancel);
            if (goAnchor is not null)
            {
                // the Go servers in the API column
                session.Groups = Groups(goAnchor.ServerPids, [], goAnchor.NginxPids, redisPids);
                await session.WrkAsync(WrkRun.WarmupPrefix + "g", "buy", "anchor", settings.Warmup, goAnchor.Url, cancel);
                g = await session.WrkAsync("g", "buy", "anchor", settings.Seconds, goAnchor.Url, cancel);
                await anchors.StopAsync();
                await session.Redis.GetDatabase().KeyDeleteAsync(BenchAnchors.GoTicketsKey);
                session.Groups = spikeGroups;
            }
        }

        session.Step($"(n) success path through nginx: sale {saleN}, stock {settings.Stock}, every request a new user");
        await session.CreateSaleAsync(saleN, settings.Stock, cancel);
        await Task.Delay(Settle, cancel);
        var all0 = (await session.CommandCountsAsync()).All;
        var n = await session.WrkAsync("n", "buy-track", saleN, settings.Seconds, nginx, cancel);
        await Task.Delay(Settle, cancel);
        var replayN = await session.ReplayPendingAsync("n", saleN, nginx, cancel);
        var all1 = (await session.CommandCountsAsync()).All;
        var viewN = await session.SaleAsync(saleN, cancel);
        var answeredN = Status(n, 200) + replayN.Reserved;

        session.Step($"(d) success path directly on {direct.Name} ({directUrl}): sale {saleD}, stock {settings.Stock}");
        await session.CreateSaleAsync(saleD, settings.Stock, cancel);
        await Task.Delay(Settle, cancel);
        var d = await session.WrkAsync("d", "buy-track", saleD, settings.Seconds, directUrl, cancel);
        await Task.Delay(Settle, cancel);
        // retried through nginx, as a client would
        var replayD = await session.ReplayPendingAsync("d", saleD, nginx, cancel);
        var viewD = await session.SaleAsync(saleD, cancel);
        var answeredD = Status(d, 200) + replayD.Reserved;

        session.Step($"(s) sell-out: {settings.SelloutStock} tickets, up to {settings.SelloutBuyers} unique buyers through nginx (at most {settings.SelloutMaxSeconds} s)");
        var (s, selloutSeconds, replayS) = await SelloutAsync(saleS, cancel);
        var viewS = await session.SaleAsync(saleS, cancel);
        var unansweredS = (s.Sent ?? 0) - (s.Answered ?? 0);
        var reservedS = Status(s, 200) + replayS.Reserved;
        var unresolvedS = unansweredS + replayS.Unresolved;
        // The order feed creates the bench's orders (it ran during every buying run above); how long it takes to catch up
        // after the sell-out is its throughput.
        var ordersWait = await session.WaitOrdersAsync(cancel, saleN, saleD, saleS);

        // Through the front door: after sell-out a buy is answered without Redis. New users through nginx,
        // one at a time, without a requestId (nginx adds its own); Redis commands from INFO commandstats (not its own INFO
        // calls, nor the order feed's polling: it has caught up)
        var soldOutCalls0 = (await session.SaleAsync(saleS, cancel)).ReserveCalls;
        var soldOutAll0 = (await session.CommandCountsAsync()).WithoutFeedPolling;
        var soldOutStatuses = new List<int>();
        for (var i = 1; i <= SoldOutBuys; i++)
        {
            soldOutStatuses.Add(await HttpProbe.StatusAsync(session.Http, Replays.BuyUrl(new Uri(nginx), saleS, $"{runId}-late-{i}"), cancel));
        }
        var soldOutAll1 = (await session.CommandCountsAsync()).WithoutFeedPolling;
        var soldOutCalls = (await session.SaleAsync(saleS, cancel)).ReserveCalls - soldOutCalls0;
        var soldOutCodes = string.Join(' ', soldOutStatuses.Select(Code).GroupBy(c => c).OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Count()}x{c.Key}"));

        // the sold-out sale's invariants from Redis (spike audit)
        var audit = await SaleAudit.ReadAsync(session.Redis.GetDatabase(), saleS, null, new SaleAuditOptions { ExpectSoldOut = true });

        // (i) idle: the cluster's own cost with no client and nothing to do. The bench's sales go first, so that nothing
        // of theirs (orders to create or expire, sales to reconcile) is measured as that cost; then the nodes get time to
        // finish what the bench left them (orders passivating, heaps shrinking), measured on its own right after it.
        await session.RemoveDataAsync();
        session.Step($"(i) idle: every node's CPU over {settings.IdleSeconds} s with no client, right after the bench and from {settings.IdleSettleSeconds} s after it");
        var idleWindow = TimeSpan.FromSeconds(settings.IdleSeconds);
        var nodes = session.State.Processes.Where(p => p.IsNode).ToList();
        var removed = Stopwatch.GetTimestamp();
        var aftermath = await IdleCost.MeasureAsync(nodes, idleWindow, cancel);
        var untilSettled = TimeSpan.FromSeconds(settings.IdleSettleSeconds) - Stopwatch.GetElapsedTime(removed);
        if (untilSettled > TimeSpan.Zero)
        {
            await Task.Delay(untilSettled, cancel);
        }
        var idle = await IdleCost.MeasureAsync(nodes, idleWindow, cancel);
        var idleMax = IdleCost.Busiest(idle);
        var rate = selloutSeconds is { } t && t > 0 ? Fixed(viewS.Held / t, 0) : NotApplicable;
        var selloutText = selloutSeconds is { } seconds ? Fixed(seconds, 2) : "none";

        var ok = true;
        string AuditRow(string check, string measured, bool pass, string target = "equal")
        {
            ok &= pass;
            return Checks.Row(check, measured, target, pass ? Pass : Fail);
        }
        var np = Ratio(n.RequestsPerSecond, p.RequestsPerSecond);
        var ng = g is null ? null : Ratio(n.RequestsPerSecond, g.RequestsPerSecond);
        var callsPerN = PerTicket(viewN.ReserveCalls, viewN.Held);
        var table = new List<string>
        {
            "",
            await session.TitleLineAsync("Spike cluster bench", cancel),
            $"nginx {nginx} -> {apiNodes} API nodes ({string.Join(' ', topology.ApiPorts)}, weights {weights}), {topology.InventoryNodes} inventory nodes, Redis (AOF, appendfsync {await session.FsyncAsync()}); all on this machine",
            $"wrk {settings.Threads} threads, {settings.Connections} connections, {settings.Seconds} s per run after a {settings.ClusterWarmup} s warm-up; every request a new user; node env: {session.NodeEnvironment}",
            "",
            Runs.Row("run", "req/s", "p50 ms", "p99 ms", "200", "409", "429", "503", "other", "errors", "CPU cores: api/inventory/nginx/redis/wrk/irq/other"),
            Runs.Rule,
            RunRow(Runs, "(n) success path, through nginx", n, CpuGroups),
            RunRow(Runs, $"(d) success path, {direct.Name} directly", d, CpuGroups),
            RunRow(Runs, "(p) GET /ping, through nginx", p, CpuGroups),
        };
        if (g is not null)
        {
            table.Add(RunRow(Runs, "(g) anchor: Go server, through nginx", g, CpuGroups));
        }
        table.AddRange(
        [
            "",
            Sellout.Row("(s) sell-out through nginx", "measured"),
            Sellout.Rule,
            Sellout.Row("tickets / unique buyers (at most)", $"{settings.SelloutStock} / {settings.SelloutBuyers}"),
            Sellout.Row("time to sell out (first request -> available == 0)", $"{selloutText} s"),
            Sellout.Row("tickets sold per second until then", rate),
            Sellout.Row("buys sent / answered (the last ones after sell-out)", $"{s.Sent ?? 0} / {s.Answered ?? 0}"),
            Sellout.Row("answers 200 / 409 / 429 / 503 / other, socket errors",
                $"{Status(s, 200)} / {Status(s, 409)} / {Status(s, 429)} / {Status(s, 503)} / {OtherStatuses(s)}, {s.Errors.Total}"),
            Sellout.Row("answers per API node (share, weight's share)",
                UpstreamShares(await File.ReadAllTextAsync(session.OutputOf("s"), cancel), session.Host, topology.ApiPorts, topology.EffectiveApiWeights)),
            Sellout.Row("Redis reserve calls per ticket", Fixed(PerTicket(viewS.ReserveCalls, viewS.Held), 4)),
            Sellout.Row("order feed: every order created (n, d, s), after sell-out", $"{ordersWait} s"),
            Sellout.Row("CPU cores until sold out: api/inv/nginx/redis/wrk/irq/other", CpuColumns(s, CpuGroups)),
            "",
            Checks.Row("check", "measured", "target", "result"),
            Checks.Rule,
            g is null
                ? Checks.Row("(n)/(g): Spike vs the Go anchor", "skipped", ">= 1.2", "-")
                : Checks.Row("(n)/(g): Spike vs the Go anchor", Fixed(ng, 2), ">= 1.2", TimingVerdict([n, g], ng >= 1.2)),
            Checks.Row("(n)/(p): success path vs /ping, through nginx", Fixed(np, 2), ">= 0.7", TimingVerdict([n, p], np >= 0.7)),
            Checks.Row("p99 latency (n)", $"{Fixed(n.P99Ms ?? 0, 3)} ms", "<= 50 ms", TimingVerdict([n], n.P99Ms <= 50)),
            Checks.Row("CPU ms per reserved ticket (n), server processes", Fixed(CpuMillisecondsPerAnswer(n), 3), "info", "-"),
        ]);
        if (g is not null)
        {
            table.Add(Checks.Row("CPU ms per ticket (g), Go servers + nginx + Redis", Fixed(CpuMillisecondsPerAnswer(g), 3), "info", "-"));
        }
        table.AddRange(
        [
            Checks.Row("CPU ms per reserved ticket (d), server processes", Fixed(CpuMillisecondsPerAnswer(d), 3), "info", "-"),
            Checks.Row("CPU ms per /ping answer (p), server processes", Fixed(CpuMillisecondsPerAnswer(p), 3), "info", "-"),
            Checks.Row($"(n)/(d): {apiNodes} nodes behind nginx vs one node", Fixed(Ratio(n.RequestsPerSecond, d.RequestsPerSecond), 2), "info", "-"),
            Checks.Row("Redis reserve calls per reserved ticket (n)", $"{Fixed(callsPerN, 4)} ({viewN.ReserveCalls} / {viewN.Held})", "<= 0.2", Verdict(callsPerN <= 0.2)),
            Checks.Row("Redis commands per ticket (n), with orders'", Fixed(PerTicket(all1 - all0, viewN.Held), 4), "info", "-"),
            Checks.Row($"(i) idle CPU, busiest node, {settings.IdleSettleSeconds} s after the bench", $"{Fixed(idleMax, 2)} % of a core", "< 1 %", Verdict(idleMax < 1)),
            Checks.Row("(i) idle CPU, busiest node, right after the bench", $"{Fixed(IdleCost.Busiest(aftermath), 2)} % of a core", "info", "-"),
            Checks.Row($"reserve calls for {SoldOutBuys} sold-out answers via nginx", $"{soldOutCalls} ({soldOutCodes})", "0", Verdict(soldOutCalls == 0)),
            Checks.Row("Redis commands per sold-out answer, all clients", $"{Fixed((double)(soldOutAll1 - soldOutAll0) / SoldOutBuys, 2)} (not the feed's polling)", "info", "-"),
            AuditRow("audit (n): reserved answers == held", $"{answeredN} == {viewN.Held}", answeredN == viewN.Held && replayN.Unresolved == 0),
            AuditRow("audit (n): held + available == total", $"{viewN.Held} + {viewN.Available} == {viewN.Total}", viewN.Held + viewN.Available == viewN.Total),
            AuditRow("audit (d): reserved answers == held", $"{answeredD} == {viewD.Held}", answeredD == viewD.Held && replayD.Unresolved == 0),
            AuditRow("audit (d): held + available == total", $"{viewD.Held} + {viewD.Available} == {viewD.Total}", viewD.Held + viewD.Available == viewD.Total),
            AuditRow($"audit (s): sold out within {settings.SelloutMaxSeconds} s", $"{selloutText} s", selloutSeconds is not null, "sold out"),
            AuditRow("audit (s): reserved answers == held", $"{reservedS} == {viewS.Held}", reservedS == viewS.Held && unresolvedS == 0),
            "",
            $"spike audit {saleS} (s):",
        ]);
        table.AddRange(audit.ToString().TrimEnd('\n').Split('\n').Select(line => "    " + line));
        ok &= audit.Passed;
        table.Add("");
        table.AddRange(NoisyNotes(g is null ? [n, d, p, s] : [n, d, p, s, g]));
        if (g is not null)
        {
            table.Add("(g): the API column is the Go servers, the nginx column their own nginx; same Redis, measured in the same run");
        }
        table.Add($"reserved answers (n) = {Status(n, 200)} 200s seen by wrk + {replayN.Reserved} of {replayN.Count} requests retried with their requestId after wrk stopped ({replayN.Unresolved} unresolved); (d) = {Status(d, 200)} + {replayD.Reserved} of {replayD.Count} ({replayD.Unresolved} unresolved)");
        table.Add($"(i) idle CPU per node, % of a core, from {settings.IdleSettleSeconds} s after the bench: {IdleCost.Describe(idle)}; right after it: {IdleCost.Describe(aftermath)}");
        table.Add($"reserved answers (s) = {Status(s, 200)} 200s seen by wrk + {replayS.Reserved} of {replayS.Count} buys answered 429/503 and retried with their requestId; {unansweredS} buys unanswered when wrk stopped, {replayS.Unresolved} unresolved after the retries");
        table.Add(ok ? "AUDIT PASS" : "AUDIT FAIL");
        await session.FinishAsync("cluster bench", table, cancel);
        return ok;
    }

    /// <summary>
    /// The sell-out: SPIKE_BENCH_SELLOUT_STOCK tickets, up to SPIKE_BENCH_SELLOUT_BUYERS unique buyers through nginx (wrk with
    /// bench/sellout.lua); timed from the start of wrk until the admin API shows available == 0 (polled every 0.1 s), the
    /// CPU line covering that time. Then the buys answered 429/503 are retried with their requestIds.
    /// </summary>
    /// <returns>the run, the seconds to sell out (null: it did not within SPIKE_BENCH_SELLOUT_MAX_SECONDS), the retries</returns>
    private async Task<(WrkRun Run, double? Seconds, ReplayOutcome Retried)> SelloutAsync(string sale, CancellationToken cancel)
    {
        var settings = session.Settings;
        var output = session.OutputOf("s");
        await session.CreateSaleAsync(sale, settings.SelloutStock, cancel);
        await Task.Delay(Settle, cancel);
        var before = CpuSample.Take(session.Groups);
        var clock = Stopwatch.StartNew();
        double? seconds = null;
        long wrkTicks;
        CpuSample after;
        using (var wrk = session.StartWrk(output, settings.SelloutMaxSeconds + 15, "sellout.lua", session.Nginx,
            [sale, $"{session.RunId}-s", settings.SelloutBuyers.ToString(CultureInfo.InvariantCulture)]))
        {
            while (true)
            {
                var view = await session.Admin.ReadSaleAsync(sale, cancel);
                var elapsed = clock.Elapsed;
                if (view?.Available == 0 || wrk.HasExited || elapsed.TotalSeconds > settings.SelloutMaxSeconds)
                {
                    // wrk still runs (it drains): its CPU so far from its own /proc stat
                    wrkTicks = ProcessTicks.Of(wrk.Id);
                    after = CpuSample.Take(session.Groups);
                    if (view?.Available == 0)
                    {
                        seconds = elapsed.TotalSeconds;
                    }
                    break;
                }
                await Task.Delay(SelloutPoll, cancel);
            }
            await Task.Delay(SelloutDrain, cancel);
            if (!wrk.HasExited)
            {
                LocalProcesses.Interrupt(wrk);
            }
            await wrk.WaitForExitAsync(cancel);
        }
        await File.AppendAllTextAsync(output, CpuLine.Format(session.Groups, before, after, wrkTicks, Environment.ProcessorCount) + "\n", cancel);
        var run = await session.FinishRunAsync("sell-out", output, cancel);
        var retries = Replays.Retries(await File.ReadAllTextAsync(output, cancel));
        await File.WriteAllLinesAsync(Path.Combine(session.Directory, "s.retry"), retries.Select(r => r.RequestId), cancel);
        var retried = retries.Count == 0 ? ReplayOutcome.None : await Replays.SendAsync(session.Http, new Uri(session.Nginx), sale, retries, cancel);
        return (run with { Label = "s" }, seconds, retried);
    }

    /// <summary>A status as curl wrote it: 000 when nothing answered.</summary>
    private static string Code(int status) => status.ToString("000", CultureInfo.InvariantCulture);

    private static CpuGroup[] Groups(IReadOnlyList<int> api, IReadOnlyList<int> inventory, IReadOnlyList<int> nginx, IReadOnlyList<int> redis) =>
        [new(CpuGroups[0], api), new(CpuGroups[1], inventory), new(CpuGroups[2], nginx), new(CpuGroups[3], redis)];
}
