using Spike.Cli.Bench;

namespace Spike.Tests.Bench;

/// <summary>The CPU line of a run (<see cref="CpuLine"/>) from two samples of the machine's and the groups' ticks.</summary>
public sealed class CpuLineSpecs
{
    private static readonly CpuGroup[] Groups = [new("api", [11, 12]), new("redis", [13])];

    [Fact]
    public void Should_show_each_group_wrk_interrupts_and_the_rest_in_cores_when_given_two_samples()
    {
        // 2 cores, 400 ticks of the machine: the run lasted 200 ticks of wall time
        var before = new CpuSample(new MachineTicks(Busy: 1000, Total: 2000, Interrupts: 10), [50, 5]);
        var after = new CpuSample(new MachineTicks(Busy: 1300, Total: 2400, Interrupts: 30), [110, 25]);

        var line = CpuLine.Format(Groups, before, after, wrkTicks: 40, cores: 2);

        // other: 300 busy - 20 interrupts - 80 of the groups - 40 of wrk = 160
        Assert.Equal("CPU api=0.30 redis=0.10 wrk=0.20 irq=0.10 other=0.80", line);
    }

    [Fact]
    public void Should_never_show_negative_cores_when_a_process_exited_during_the_run_and_the_groups_outgrow_the_busy_time()
    {
        var before = new CpuSample(new MachineTicks(Busy: 1000, Total: 2000, Interrupts: 10), [500, 5]);
        var after = new CpuSample(new MachineTicks(Busy: 1100, Total: 2200, Interrupts: 20), [0, 205]);

        var line = CpuLine.Format(Groups, before, after, wrkTicks: 0, cores: 2);

        Assert.Equal("CPU api=0.00 redis=2.00 wrk=0.00 irq=0.10 other=0.00", line);
    }

    [Fact]
    public void Should_be_read_back_by_WrkRun_when_appended_to_a_runs_output()
    {
        var before = new CpuSample(new MachineTicks(1000, 2000, 10), [50, 5]);
        var after = new CpuSample(new MachineTicks(1300, 2400, 30), [110, 25]);
        var output = BenchSamples.Text(BenchSamples.BuyTrack).Split("\nCPU ")[0] + "\n" + CpuLine.Format(Groups, before, after, 40, 2) + "\n";

        var run = WrkRun.Parse("n", output, "n.out");

        Assert.Equal(
            [new CpuShare("api", 0.30), new CpuShare("redis", 0.10), new CpuShare("wrk", 0.20), new CpuShare("irq", 0.10), new CpuShare("other", 0.80)],
            run.Cpu);
    }

    [Fact]
    public void Should_count_busy_total_and_interrupt_ticks_when_parsing_proc_stat()
    {
        const string procStat = "cpu  100 2 30 500 7 4 6 1 0 0\ncpu0 50 1 15 250 3 2 3 0 0 0\nintr 1 2 3\n";

        var ticks = MachineTicks.Parse(procStat);

        // user nice system idle iowait irq softirq steal: total 650, busy without idle and iowait 143, interrupts 10
        Assert.Equal(new MachineTicks(Busy: 143, Total: 650, Interrupts: 10), ticks);
    }
}
