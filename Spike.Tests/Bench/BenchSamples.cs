using Spike.Tests.Support;

namespace Spike.Tests.Bench;

/// <summary>
/// Real wrk outputs in Spike.Tests/Bench/Samples, made with this repository's scripts against a python3 http.server
/// on 127.0.0.1 (wrk -t2 -c10): ping.out with bench/spike.lua in ping mode (every answer 200), sellout.out with
/// bench/sellout.lua (every answer 404: that server has no /buy). Each ends with a CPU line as the bench
/// appends it; its numbers are made up, no Spike was running. buy-track.out (run (n)) and sellout-cluster.out (run (s))
/// come from <c>spike bench cluster</c> on a local cluster of two API nodes (weights 1:2) and two inventory nodes, their
/// CPU lines measured.
/// </summary>
internal static class BenchSamples
{
    public const string Ping = "ping.out";
    public const string Sellout = "sellout.out";
    public const string BuyTrack = "buy-track.out";
    public const string SelloutCluster = "sellout-cluster.out";

    public static string PathOf(string sample) => Path.Combine(Repository.Root, "Spike.Tests", "Bench", "Samples", sample);

    public static string Text(string sample) => File.ReadAllText(PathOf(sample));

    /// <summary>
    /// A bench run directory under <paramref name="root"/> holding each (label, sample) as <c>&lt;label&gt;.out</c>, their
    /// write times a minute apart in the given order (the order the runs ran), and <paramref name="table"/> as table.txt.
    /// </summary>
    public static string RunDirectory(string root, string name, IEnumerable<(string Label, string Sample)> runs, string? table = null)
    {
        var directory = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        var written = new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);
        foreach (var (label, sample) in runs)
        {
            var file = Path.Combine(directory, label + ".out");
            File.Copy(PathOf(sample), file);
            File.SetLastWriteTimeUtc(file, written);
            written = written.AddMinutes(1);
        }
        if (table is not null)
        {
            File.WriteAllText(Path.Combine(directory, "table.txt"), table);
        }
        return directory;
    }
}

/// <summary>A scratch folder for one test, deleted when disposed.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("spike-bench-").FullName;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
