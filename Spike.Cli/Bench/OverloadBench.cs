using System.Globalization;
using Spike.Cli.Local;
using static Spike.Cli.Bench.BenchChecks;

namespace Spike.Cli.Bench;

/// <summary>
/// <c>spike bench overload</c>: one API node (the first API port), directly. (a) its capacity: the success path with the
/// bench's connections, the concurrency that saturates it; then (o) the same node driven with
/// <see cref="BenchSettings.OverloadFactor"/> times those connections for one run's length, on a sale whose stock the node
/// sells in about half of it at its capacity, so the run has both a selling and a sold-out half. Meanwhile a probe
/// (<see cref="OverloadProbe"/>) times buys of its own and a sampler reads the node's memory and thread pool
/// (<see cref="NodeSampler"/>). Then a table of both runs, the checks and the audit.
/// </summary>
internal sealed class OverloadBench(BenchSession session)
{
    private static readonly string[] CpuGroups = NodeCpuGroups.Names;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private const long Megabyte = 1024 * 1024;

    private static readonly TextTable Runs = new(-34, 9, 8, 8, 9, 9, 6, 6, 6, 6, -45);
    private static readonly TextTable Checks = new(-52, -34, -11, -6);

    /// <summary>False when an audit line failed.</summary>
    public async Task<bool> RunAsync(CancellationToken cancel)
    {
        var settings = session.Settings;
        if (settings.OverloadFactor < 1 || settings.ProbeRate < 1)
        {
            throw new BenchException($"SPIKE_BENCH_OVERLOAD_FACTOR ({settings.OverloadFactor}) and SPIKE_BENCH_PROBE_RATE ({settings.ProbeRate}) must be at least 1");
        }
        var topology = session.State.Settings.Topology;
        var node = session.Process(ProcessKinds.Api, topology.ApiPorts[0])
            ?? throw new BenchException($"no API node on port {topology.ApiPorts[0]} in the run state");
        var url = $"http://{session.Host}:{topology.ApiPorts[0]}";
        session.Groups = NodeCpuGroups.Of(session, node);
        var runId = session.RunId;
        var (saleA, saleO, saleW) = ($"{runId}-a", $"{runId}-o", $"{runId}-w");
        var overloadConnections = settings.OverloadFactor * settings.Connections;

        session.Step($"bench {runId} against {url}: wrk -t{settings.Threads}, {settings.Seconds} s per run (raw output in .run/bench/{runId})");
        session.Step($"warm-up {settings.Warmup} s: buy path");
        await session.CreateSaleAsync(saleW, settings.Stock, cancel);
        await session.WrkAsync(WrkRun.WarmupPrefix + "buy", "buy", saleW, settings.Warmup, url, cancel);
        await session.WaitOrdersAsync(cancel, saleW);

        session.Step($"(a) capacity: success path, {settings.Connections} connections, sale {saleA}, stock {settings.Stock}");
        await session.CreateSaleAsync(saleA, settings.Stock, cancel);
        await Task.Delay(Settle, cancel);
        var a = await session.WrkAsync("a", "buy", saleA, settings.Seconds, url, cancel);
        // the order feed's work for (a) belongs to (a), not to the overload
        await session.WaitOrdersAsync(cancel, saleA);

        var stock = Math.Max(1, (int)((a.RequestsPerSecond ?? 0) * settings.Seconds / 2));
        session.Step($"(o) overload: {overloadConnections} connections ({settings.OverloadFactor}x), sale {saleO} of {stock} tickets " +
            $"(half the run at (a)'s rate); a probe of {settings.ProbeRate} buys/s; the node's memory and thread pool sampled every 0.5 s");
        await session.CreateSaleAsync(saleO, stock, cancel);
        await Task.Delay(Settle, cancel);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        var sampler = new NodeSampler(http, node.Pid, new Uri(url + "/metrics"));
        var overloadStart = (await sampler.SampleAsync(cancel)).AtSeconds;
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var sampling = sampler.RunAsync(stopSampling.Token);
        var probeUser = $"{runId}-probe-";
        var probing = OverloadProbe.RunAsync(http, n => Replays.BuyUrl(new Uri(url), saleO, probeUser + n.ToString(CultureInfo.InvariantCulture), $"r{probeUser}{n}"),
            settings.ProbeRate, TimeSpan.FromSeconds(settings.Seconds), cancel);
        var o = await session.WrkAsync("o", "buy", saleO, settings.Seconds, url, cancel, overloadConnections);
        var answers = await probing;
        await stopSampling.CancelAsync();
        await sampling;
        var drained = await sampler.WaitDrainedAsync(OverloadChecks.DrainPatience, cancel);
        await File.WriteAllLinesAsync(Path.Combine(session.Directory, OverloadProbe.FileName), OverloadProbe.Lines(answers), cancel);
        await File.WriteAllLinesAsync(Path.Combine(session.Directory, NodeSampler.FileName), NodeSampler.Lines(sampler.Samples), cancel);
        await Task.Delay(Settle, cancel);
        var saleView = await session.SaleAsync(saleO, cancel);

        var probe = ProbeSummary.Of(answers);
        var figures = NodeFigures.Of(sampler.Samples, overloadStart);
        var serverErrors = OverloadChecks.ServerErrors(o, probe);
        var reservedSeen = Status(o, 200) + probe.Reserved;
        var threadsAddedTarget = OverloadChecks.ThreadsAddedTarget(Environment.ProcessorCount);
        var audits = new (string Name, string Measured, string Target, bool Pass)[]
        {
            ("audit (o): held <= total", $"{saleView.Held} <= {saleView.Total}", "no oversell", saleView.Held <= saleView.Total),
            ("audit (o): held + available == total", $"{saleView.Held} + {saleView.Available} == {saleView.Total}", "equal", saleView.Held + saleView.Available == saleView.Total),
            ("audit (o): reserved answers seen <= held", $"{reservedSeen} <= {saleView.Held}", "<= held", reservedSeen <= saleView.Held),
        };
        var table = new List<string>
        {
            "",
            await session.TitleLineAsync("Spike overload bench", cancel),
            $"wrk {settings.Threads} threads, {settings.Seconds} s per run after a {settings.Warmup} s warm-up; one node on {url}, directly; every request a new user; node env: {session.NodeEnvironment}",
            $"(o) offers {settings.OverloadFactor}x the concurrency of (a): {overloadConnections} connections each with a buy outstanding at all times, against the " +
            $"{settings.Connections} that saturate the node in (a); wrk is closed-loop, so its request rate is the rate the node answers at",
            $"Redis: AOF, appendfsync {await session.FsyncAsync()}",
            "",
            Runs.Row("run", "req/s", "p50 ms", "p99 ms", "200", "409", "429", "503", "other", "errors", "CPU cores: node/rest/redis/wrk/irq/other"),
            Runs.Rule,
            RunRow(Runs, $"(a) capacity, {settings.Connections} connections", a, CpuGroups),
            RunRow(Runs, $"(o) overload, {overloadConnections} connections", o, CpuGroups),
            "",
            Checks.Row("check", "measured", "target", "result"),
            Checks.Rule,
            Checks.Row($"probe ({settings.ProbeRate}/s): p99 of admitted answers", $"{Ms(probe.AdmittedP99Ms)} (p50 {Ms(probe.AdmittedP50Ms)})",
                $"<= {OverloadChecks.AdmittedP99TargetMs:0} ms", TimingVerdict([o], OverloadChecks.AdmittedWithinBound(probe))),
            Checks.Row("probe: p99 of reserved / sold out / 429 answers", $"{Ms(probe.ReservedP99Ms)} / {Ms(probe.SoldOutP99Ms)} / {Ms(probe.BusyP99Ms)}", "info", "-"),
            Checks.Row("probe: reserved / sold out / other 409 / 429", $"{probe.Reserved} / {probe.SoldOut} / {probe.OtherRefusals} / {probe.Busy}", "info", "-"),
            Checks.Row($"probe: unanswered in {OverloadProbe.Timeout.TotalSeconds:0} s, or another status", $"{probe.NoAnswer} + {probe.Unexpected} of {probe.Sent}", "0",
                Verdict(probe.NoAnswer + probe.Unexpected == 0)),
            Checks.Row("5xx answers: wrk (o) + probe", Count(serverErrors), "0", Verdict(serverErrors == 0)),
            Checks.Row("wrk (o): socket errors (timeout: no answer in 5 s)", Count(o.Errors.Total), "0", Verdict(o.Errors.Total == 0)),
            Checks.Row("wrk (o): reserved / sold out or refused / 429", $"{Status(o, 200)} / {Status(o, 409)} / {Status(o, 429)}", "info", "-"),
            Checks.Row($"node RSS (pid {node.Pid}): start / max / end", $"{Mb(figures.RssStart)} / {Mb(figures.RssMax)} / {Mb(figures.RssEnd)}", "info", "-"),
            Checks.Row("node RSS growth (max - start)", Mb(figures.RssGrowth), $"<= {OverloadChecks.RssGrowthTargetBytes / Megabyte} MB",
                Verdict(OverloadChecks.MemoryFlat(figures))),
            Checks.Row("thread-pool threads: start / max / end", $"{Number(figures.ThreadsStart)} / {Number(figures.ThreadsMax)} / {Number(figures.ThreadsEnd)}", "info", "-"),
            Checks.Row("thread-pool threads added during (o) (starvation)", Number(figures.ThreadsAdded), $"<= {threadsAddedTarget}",
                Verdict(OverloadChecks.NoStarvation(figures, Environment.ProcessorCount))),
            Checks.Row("thread-pool queue: max / end", $"{Number(figures.QueueMax)} / {Number(figures.QueueEnd)}", "info", "-"),
            Checks.Row("thread-pool queue empty after (o)", drained is { } seconds ? $"after {seconds:0.0} s" : $"not within {OverloadChecks.DrainPatience.TotalSeconds:0} s",
                $"<= {OverloadChecks.DrainPatience.TotalSeconds:0} s", Verdict(drained is not null)),
        };
        table.AddRange(audits.Select(check => Checks.Row(check.Name, check.Measured, check.Target, check.Pass ? Pass : Fail)));
        table.Add("");
        table.AddRange(NoisyNotes([a, o]));
        table.Add($"probe: a buy every {1000.0 / settings.ProbeRate:0} ms for the {settings.Seconds} s of (o), not waiting for answers, each a new user with a requestId; " +
            "admitted: 200 or 409; its answers in probe.tsv, the node's samples (RSS, thread-pool threads and queue from /metrics) in node-samples.tsv; " +
            "the probe and the sampler run in this tool, in the 'other' CPU column");
        table.Add($"reserved answers seen = {Status(o, 200)} 200s of wrk + {probe.Reserved} of the probe (a buy cut off in flight when wrk stopped may be reserved unseen)");
        await session.FinishAsync("overload bench", table, cancel);
        return audits.All(check => check.Pass);
    }

    private static string Ms(double? milliseconds) => milliseconds is { } ms ? $"{Fixed(ms, 1)} ms" : NotApplicable;

    private static string Mb(long? bytes) => bytes is { } b ? $"{Fixed((double)b / Megabyte, 0)} MB" : NotApplicable;

    private static string Number(double? value) => value is { } v ? Fixed(v, 0) : NotApplicable;
}
