using System.Globalization;

namespace Spike.Cli.Flash;

/// <summary>Where a running crowd stands, reported every <see cref="FlashOptions.ProgressInterval"/> and once at the end.</summary>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="Done">Buyers with a final outcome.</param>
/// <param name="Stock">The sale's stock as the options gave it (0: unknown).</param>
/// <param name="SoldOut">Buyers told sold out.</param>
/// <param name="RetryStatuses">Answers 429, 502, 503 or 504, which the buyer retried.</param>
/// <param name="ConnectionErrors">Requests without an answer, which the buyer retried.</param>
/// <param name="AnswersPerSecond">Since the previous report.</param>
public sealed record FlashProgress(
    TimeSpan Elapsed, int Done, int Buyers, int Reserved, long Stock, int SoldOut, int Retries, int RetryStatuses,
    int ConnectionErrors, double AnswersPerSecond)
{
    public string ToLine()
    {
        var stock = Stock > 0 ? string.Create(CultureInfo.InvariantCulture, $"/{Stock:N0}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"  {Elapsed.TotalSeconds,6:F1} s  buyers done {Done,9:N0}/{Buyers:N0}  reserved {Reserved,8:N0}{stock}"
            + $"  sold out {SoldOut,8:N0}  retried {Retries,6:N0} (429/50x {RetryStatuses:N0}, no answer {ConnectionErrors:N0})"
            + $"  {AnswersPerSecond,7:N0} answers/s");
    }
}
