using System.Globalization;
using Spike.Sales;

namespace Spike.Cli.Flash;

/// <summary>The final outcomes of a buyer, as counted in <see cref="FlashResult.Outcomes"/>.</summary>
public static class FlashOutcomes
{
    /// <summary>200 <c>{"status":"reserved"}</c>.</summary>
    public const string Reserved = "reserved";

    /// <summary>409 <c>{"status":"sold_out"}</c>. Any 409 counts under the status its body names.</summary>
    public const string SoldOut = "sold_out";

    /// <summary>409 <c>{"status":"limit_reached"}</c>.</summary>
    public const string LimitReached = "limit_reached";

    /// <summary>No final answer before the buyer's deadline.</summary>
    public const string GaveUp = "gave_up";

    /// <summary>
    /// The prefix of any other answer: <c>unexpected:&lt;http status&gt;</c>, or
    /// <c>unexpected:&lt;http status&gt;:&lt;status&gt;</c> for a 200 that is not a reservation.
    /// </summary>
    public const string UnexpectedPrefix = "unexpected";

    /// <summary>A 409 whose body is not a JSON object.</summary>
    public const string Unparsable = "unparsable";
}

/// <summary>The halfway mark: when the reserved answers reached <see cref="FlashOptions.Halfway"/>.</summary>
/// <param name="At">Time since the run started.</param>
/// <param name="Reserved">Reserved answers then.</param>
public sealed record FlashHalfway(TimeSpan At, int Reserved)
{
    /// <summary><c>HALFWAY &lt;seconds&gt; &lt;reserved&gt;</c>: the line scripts wait for.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"HALFWAY {At.TotalSeconds:F3} {Reserved}");
}

/// <summary>An API node's share of one phase (before or after the halfway mark), by the time each request was sent.</summary>
/// <param name="Answers">Answers the node gave (the last address of <c>X-Spike-Upstream</c>).</param>
/// <param name="Reserved">Reserved answers among them.</param>
/// <param name="Picked">Requests nginx's weighted choice sent to the node first (the first address), whether or not it answered.</param>
public sealed record FlashNodeCounts(int Answers, int Reserved, int Picked);

/// <summary>An API node, by its address in <c>X-Spike-Upstream</c> (<c>?</c> when an answer did not name one).</summary>
public sealed record FlashNode(string Address, FlashNodeCounts Before, FlashNodeCounts After);

/// <summary>How a flash-sale crowd fared. Times are measured from the start of the run (the first buy request).</summary>
public sealed record FlashResult
{
    public required int Buyers { get; init; }

    public required int Concurrency { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Until the last buyer was done, or the run was stopped.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>The run was stopped after <see cref="FlashOptions.MaxDuration"/> with buyers still asking.</summary>
    public required bool TimedOut { get; init; }

    /// <summary>Buyers without a final outcome (not even <see cref="FlashOutcomes.GaveUp"/>) when the run ended.</summary>
    public required int Unfinished { get; init; }

    /// <summary>HTTP requests sent: first attempts and retries.</summary>
    public required int Sent { get; init; }

    /// <summary>HTTP answers received, of any status.</summary>
    public required int Answers { get; init; }

    /// <summary>Attempts after a buyer's first one.</summary>
    public required int Retries { get; init; }

    /// <summary>Requests without an answer: connection refused, reset or closed, or timed out.</summary>
    public required int ConnectionErrors { get; init; }

    /// <summary>Buyers by final outcome (see <see cref="FlashOutcomes"/>).</summary>
    public required IReadOnlyDictionary<string, int> Outcomes { get; init; }

    /// <summary>Answers by HTTP status.</summary>
    public required IReadOnlyDictionary<int, int> Statuses { get; init; }

    /// <summary>The API nodes that answered or were picked, by address (ordinal order).</summary>
    public required IReadOnlyList<FlashNode> Nodes { get; init; }

    /// <summary>The reserved answers, user and order id, in the order they arrived.</summary>
    public required IReadOnlyList<ReservedAnswer> Orders { get; init; }

    /// <summary>When the admin API first showed nothing available; null when it never did.</summary>
    public required TimeSpan? SoldOutAt { get; init; }

    public required TimeSpan? LastReservedAt { get; init; }

    /// <summary>The longest time between two reserved answers, and when it ended (null with fewer than two).</summary>
    public required TimeSpan LongestReservedGap { get; init; }

    public required TimeSpan? LongestReservedGapEnd { get; init; }

    /// <summary>Null without a halfway mark, or when the reserved answers never reached it.</summary>
    public required FlashHalfway? Halfway { get; init; }

    public int Reserved => Orders.Count;

    public int ReservedUsers => Orders.Select(o => o.User).Distinct().Count();

    /// <summary>Reserved answers beyond the first of the same user: a second ticket, which must never happen.</summary>
    public int DuplicateReserved => Reserved - ReservedUsers;

    public double AnswersPerSecond => Answers / Math.Max(Elapsed.TotalSeconds, 1e-6);

    /// <summary>Every buyer got a final answer (or gave up) before the run's end.</summary>
    public bool Complete => !TimedOut && Unfinished == 0;

    /// <summary>
    /// The summary as <c>key value</c> lines (times in seconds, <c>none</c> for a moment that never came), then one line
    /// per node: <c>node &lt;address&gt; &lt;answers before&gt; &lt;reserved before&gt; &lt;answers after&gt;
    /// &lt;reserved after&gt; &lt;picked before&gt; &lt;picked after&gt;</c>.
    /// </summary>
    public IEnumerable<string> SummaryLines()
    {
        var invariant = CultureInfo.InvariantCulture;
        static string Seconds(TimeSpan? time) => time is { } t ? t.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture) : "none";
        var values = new (string Key, string Value)[]
        {
            ("buyers", Buyers.ToString(invariant)),
            ("concurrency", Concurrency.ToString(invariant)),
            ("started_unix", (StartedAt.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", invariant)),
            ("elapsed_s", Seconds(Elapsed)),
            ("timed_out", TimedOut ? "1" : "0"),
            ("unfinished", Unfinished.ToString(invariant)),
            ("sent", Sent.ToString(invariant)),
            ("answers", Answers.ToString(invariant)),
            ("retries", Retries.ToString(invariant)),
            ("conn_errors", ConnectionErrors.ToString(invariant)),
            ("reserved", Reserved.ToString(invariant)),
            ("reserved_users", ReservedUsers.ToString(invariant)),
            ("duplicate_reserved", DuplicateReserved.ToString(invariant)),
            ("soldout_s", Seconds(SoldOutAt)),
            ("last_reserved_s", Seconds(LastReservedAt)),
            ("longest_reserved_gap_s", Seconds(LongestReservedGap)),
            ("longest_reserved_gap_end_s", Seconds(LongestReservedGapEnd)),
            ("halfway_s", Seconds(Halfway?.At)),
            ("halfway_reserved", Halfway?.Reserved.ToString(invariant) ?? "none"),
            ("answers_per_s", AnswersPerSecond.ToString("F0", invariant)),
        };
        foreach (var (key, value) in values)
        {
            yield return $"{key} {value}";
        }
        foreach (var (outcome, buyers) in Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            yield return string.Create(invariant, $"outcome_{outcome} {buyers}");
        }
        foreach (var (status, answers) in Statuses.OrderBy(s => s.Key))
        {
            yield return string.Create(invariant, $"status_{status} {answers}");
        }
        foreach (var node in Nodes)
        {
            yield return string.Create(invariant,
                $"node {node.Address} {node.Before.Answers} {node.Before.Reserved} {node.After.Answers} {node.After.Reserved} {node.Before.Picked} {node.After.Picked}");
        }
    }
}
