using Spike.Cli.Local;
using static Spike.Cli.Bench.BenchChecks;

namespace Spike.Cli.Bench;

/// <summary>
/// <c>spike bench node</c>: one API node (the first API port), directly. (a) the success path, (b) the sold-out path with
/// first attempts, (d) the sold-out path with a requestId each, (c) its /ping; the anchors (l) one Lua call per request
/// and (k) bare Kestrel (bench/Anchors); then a table of the runs, the checks and the audit.
/// </summary>
internal sealed class NodeBench(BenchSession session)
{
    private static readonly string[] CpuGroups = NodeCpuGroups.Names;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private static readonly TextTable Runs = new(-28, 9, 8, 8, 9, 9, 6, 6, 6, 6, -45);
    private static readonly TextTable Checks = new(-46, -27, -11, -6);

    public async Task RunAsync(CancellationToken cancel)
    {
        var settings = session.Settings;
        var topology = session.State.Settings.Topology;
        var node = session.Process(ProcessKinds.Api, topology.ApiPorts[0]);
        var url = $"http://{session.Host}:{topology.ApiPorts[0]}";
        var nodeGroups = NodeCpuGroups.Of(session, node);
        session.Groups = nodeGroups;
        var runId = session.RunId;
        var (saleA, saleB, saleW, saleL) = ($"{runId}-a", $"{runId}-b", $"{runId}-w", $"{runId}-l");

        session.Step($"bench {runId} against {url}: wrk -t{settings.Threads} -c{settings.Connections}, {settings.Seconds} s per run (raw output in .run/bench/{runId})");
        session.Step($"warm-up {settings.Warmup} s: buy path and /ping");
        await session.CreateSaleAsync(saleW, settings.Stock, cancel);
        await session.WrkAsync(WrkRun.WarmupPrefix + "buy", "buy", saleW, settings.Warmup, url, cancel);
        await session.WrkAsync(WrkRun.WarmupPrefix + "ping", "ping", "-", settings.Warmup, url, cancel);

        // the runs without Spike's buy path first, each once the order feed has created the orders before it (the Lua
        // anchor reserves through Spike's script, so its sale has orders too): the feed's work after a buying run belongs
        // to that run
        await session.WaitOrdersAsync(cancel, saleW);
        session.Step("(c) HTTP ceiling: GET /ping");
        await Task.Delay(Settle, cancel);
        var c = await session.WrkAsync("c", "ping", "-", settings.Seconds, url, cancel);

        session.Step($"anchors on {session.Host}:{settings.NodeAnchorPort} (bench/Anchors): (l) one Lua call per request, (k) bare Kestrel");
        WrkRun l, k;
        await using (var anchors = new BenchAnchors(session))
        {
            var anchorPid = await anchors.StartNodeAnchorAsync(cancel);
            var anchorUrl = $"http://{session.Host}:{settings.NodeAnchorPort}";
            // the anchor in the node's column
            session.Groups = NodeCpuGroups.Of([anchorPid], NodeCpuGroups.RestOf(session, node: null), session);
            await session.CreateSaleAsync(saleL, settings.Stock, cancel);
            await session.WrkAsync(WrkRun.WarmupPrefix + "l", "buy", saleL, settings.Warmup, anchorUrl, cancel);
            l = await session.WrkAsync("l", "buy", saleL, settings.Seconds, anchorUrl, cancel);
            await session.WaitOrdersAsync(cancel, saleL);
            k = await session.WrkAsync("k", "ping", "-", settings.Seconds, anchorUrl, cancel);
        }
        session.Groups = nodeGroups;

        session.Step($"(a) success path: sale {saleA}, stock {settings.Stock}, every request a new user");
        await session.CreateSaleAsync(saleA, settings.Stock, cancel);
        await Task.Delay(Settle, cancel);
        var all0 = (await session.CommandCountsAsync()).All;
        var a = await session.WrkAsync("a", "buy-track", saleA, settings.Seconds, url, cancel);
        await Task.Delay(Settle, cancel);
        var replayA = await session.ReplayPendingAsync("a", saleA, url, cancel);
        var all1 = (await session.CommandCountsAsync()).All;
        var saleViewA = await session.SaleAsync(saleA, cancel);
        var ordersWait = await session.WaitOrdersAsync(cancel, saleA);
        var answeredA = Status(a, 200) + replayA.Reserved;

        session.Step($"(b) sold-out path: sale {saleB}, stock 1, its one ticket sold first");
        await session.CreateSaleAsync(saleB, 1, cancel);
        var first = $"{runId}-first";
        using (var bought = await session.Http.GetAsync(Replays.BuyUrl(new Uri(url), saleB, first, "r" + first), cancel))
        {
            if ((int)bought.StatusCode != 200)
            {
                throw new BenchException($"buying the one ticket of {saleB} answered {(int)bought.StatusCode}: {await bought.Content.ReadAsStringAsync(cancel)}");
            }
        }
        await session.WaitOrdersAsync(cancel, saleB); // its order's creation is Redis work, not the sold-out path's
        // the sold-out path warmed up as the others were: its first seconds run code the runs before never ran
        await session.WrkAsync(WrkRun.WarmupPrefix + "b", "first", saleB, settings.Warmup, url, cancel);
        await session.WrkAsync(WrkRun.WarmupPrefix + "d", "buy", saleB, settings.Warmup, url, cancel);
        var callsB0 = (await session.SaleAsync(saleB, cancel)).ReserveCalls;
        var all2 = (await session.CommandCountsAsync()).WithoutFeedPolling;
        var b = await session.WrkAsync("b", "first", saleB, settings.Seconds, url, cancel);
        session.Step("(d) sold-out path, every request with a requestId of its own (the node cannot tell it from a retry)");
        var d = await session.WrkAsync("d", "buy", saleB, settings.Seconds, url, cancel);
        var all3 = (await session.CommandCountsAsync()).WithoutFeedPolling;
        await Task.Delay(Settle, cancel);
        var saleViewB = await session.SaleAsync(saleB, cancel);
        var callsB = saleViewB.ReserveCalls - callsB0;

        var peak = node is not null && LocalProcesses.PeakResidentBytes(node.Pid) is { } bytes ? $"{bytes / (1024 * 1024)} MB" : NotApplicable;

        var (ac, al, bk, dk) = (Ratio(a.RequestsPerSecond, c.RequestsPerSecond), Ratio(a.RequestsPerSecond, l.RequestsPerSecond),
            Ratio(b.RequestsPerSecond, k.RequestsPerSecond), Ratio(d.RequestsPerSecond, k.RequestsPerSecond));
        var (heldA, availableA, totalA, callsA) = (saleViewA.Held, saleViewA.Available, saleViewA.Total, saleViewA.ReserveCalls);
        var callsPer = PerTicket(callsA, heldA);
        var (b200, d200) = (Status(b, 200), Status(d, 200));
        var table = new List<string>
        {
            "",
            await session.TitleLineAsync("Spike bench", cancel),
            $"wrk {settings.Threads} threads, {settings.Connections} connections, {settings.Seconds} s per run after a {settings.Warmup} s warm-up; one node on {url}, directly; every request a new user; node env: {session.NodeEnvironment}",
            $"Redis: AOF, appendfsync {await session.FsyncAsync()}",
            "",
            Runs.Row("run", "req/s", "p50 ms", "p99 ms", "200", "409", "429", "503", "other", "errors", "CPU cores: node/rest/redis/wrk/irq/other"),
            Runs.Rule,
            RunRow(Runs, "(a) success path", a, CpuGroups),
            RunRow(Runs, "(b) sold-out path", b, CpuGroups),
            RunRow(Runs, "(d) sold out, own ids", d, CpuGroups),
            RunRow(Runs, "(c) GET /ping ceiling", c, CpuGroups),
            RunRow(Runs, "(l) anchor: Lua per request", l, CpuGroups),
            RunRow(Runs, "(k) anchor: bare Kestrel", k, CpuGroups),
            "",
            Checks.Row("check", "measured", "target", "result"),
            Checks.Rule,
            Checks.Row("a/l (success path vs one Lua call a request)", Fixed(al, 2), ">= 1.2", TimingVerdict([a, l], al >= 1.2)),
            Checks.Row("b/k (sold-out path vs bare Kestrel)", Fixed(bk, 2), ">= 0.85", TimingVerdict([b, k], bk >= 0.85)),
            Checks.Row("d/k (sold out with requestIds vs bare Kestrel)", Fixed(dk, 2), ">= 0.85", TimingVerdict([d, k], dk >= 0.85)),
            Checks.Row("a/c (success path vs Spike's /ping)", Fixed(ac, 2), "info", "-"),
            Checks.Row("p99 latency (a)", $"{Fixed(a.P99Ms ?? 0, 3)} ms", "<= 10 ms", TimingVerdict([a], a.P99Ms <= 10)),
            Checks.Row("p99 latency (b)", $"{Fixed(b.P99Ms ?? 0, 3)} ms", "<= 10 ms", TimingVerdict([b], b.P99Ms <= 10)),
            Checks.Row("Redis reserve calls per reserved ticket (a)", $"{Fixed(callsPer, 4)} ({callsA} / {heldA})", "<= 0.2", Verdict(callsPer <= 0.2)),
            Checks.Row("order feed: every order of (a) created, after it", $"{ordersWait} s", "info", "-"),
            Checks.Row("Redis commands per ticket (a), with orders'", Fixed(PerTicket(all1 - all0, heldA), 4), "info", "-"),
            Checks.Row("reserve calls for (b) and (d), sold out", Count(callsB), "0", Verdict(callsB == 0)),
            Checks.Row("Redis commands meanwhile, all clients", $"{all3 - all2} (not the feed's polling)", "info", "-"),
            Checks.Row($"node peak memory (VmHWM, pid {node?.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})", peak, "info", "-"),
            Checks.Row("audit (a): reserved answers == held", $"{answeredA} == {heldA}", "equal", Verdict(answeredA == heldA)),
            Checks.Row("audit (a): held + available == total", $"{heldA} + {availableA} == {totalA}", "equal", Verdict(heldA + availableA == totalA)),
            Checks.Row("audit (a): held <= total", $"{heldA} <= {totalA}", "no oversell", Verdict(heldA <= totalA)),
            Checks.Row("audit (b, d): held == 1 + reserved answers", $"{saleViewB.Held} == 1 + {b200} + {d200}", "equal", Verdict(saleViewB.Held == 1 + b200 + d200)),
            Checks.Row("audit (b): held + available == total", $"{saleViewB.Held} + {saleViewB.Available} == {saleViewB.Total}", "equal",
                Verdict(saleViewB.Held + saleViewB.Available == saleViewB.Total)),
            "",
        };
        table.AddRange(NoisyNotes([a, b, d, c, l, k]));
        table.Add("(l), (k): the node's CPU column is the anchor process (bench/Anchors), measured in the same run");
        table.Add($"reserved answers (a) = {Status(a, 200)} 200s seen by wrk + {replayA.Reserved} of {replayA.Count} requests retried with their requestId after wrk stopped (not answered 200 during the run or cut off in flight; {replayA.Unresolved} unresolved)");
        await session.FinishAsync("node bench", table, cancel);
    }

}
