using System.Diagnostics;
using Spike.Sales;

namespace Spike.Cli.Flash;

/// <summary>Before or after the halfway mark; a request counts in the phase it was sent in.</summary>
internal enum FlashPhase
{
    Before,
    After,
}

/// <summary>What the buyers of one run saw, counted as it happens; the buyers report from many threads at once.</summary>
internal sealed class FlashTally(FlashOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _statuses = [];
    private readonly Dictionary<string, NodeTally> _nodes = new(StringComparer.Ordinal);
    private readonly List<ReservedAnswer> _orders = [];
    private readonly TaskCompletionSource<FlashHalfway?> _halfway = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sent;
    private int _answers;
    private int _retries;
    private int _connectionErrors;
    private int _done;
    private int _retryStatuses;
    private TimeSpan? _lastReservedAt;
    private TimeSpan _longestGap;
    private TimeSpan? _longestGapEnd;
    private TimeSpan? _soldOutAt;
    private TimeSpan _lastProgressAt;
    private int _answersAtLastProgress;
    private volatile FlashHalfway? _halfwayMark;
    private long _startTimestamp;

    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);

    public FlashPhase Phase => _halfwayMark is null ? FlashPhase.Before : FlashPhase.After;

    /// <summary>Completes at the halfway mark, or with null by <see cref="CloseHalfway"/>.</summary>
    public Task<FlashHalfway?> Halfway => _halfway.Task;

    /// <summary>The run starts: its times count from now.</summary>
    public void Start()
    {
        StartedAt = DateTimeOffset.UtcNow;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    public void Sent(bool retry)
    {
        lock (_lock)
        {
            _sent++;
            _retries += retry ? 1 : 0;
        }
    }

    public void NoAnswer()
    {
        lock (_lock)
        {
            _connectionErrors++;
        }
    }

    /// <summary>An answer of <paramref name="answeredBy"/>, which nginx reached after first picking <paramref name="pickedFirst"/>.</summary>
    public void Answered(int status, string pickedFirst, string answeredBy, FlashPhase phase)
    {
        lock (_lock)
        {
            _answers++;
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
            if (status is 429 or 502 or 503 or 504)
            {
                _retryStatuses++;
            }
            Node(pickedFirst).Of(phase).Picked++;
            Node(answeredBy).Of(phase).Answers++;
        }
    }

    public void Reserved(ReservedAnswer order, string answeredBy, FlashPhase phase)
    {
        FlashHalfway? reachedHalfway = null;
        lock (_lock)
        {
            Node(answeredBy).Of(phase).Reserved++;
            _orders.Add(order);
            var now = Elapsed;
            if (_lastReservedAt is { } last && now - last > _longestGap)
            {
                (_longestGap, _longestGapEnd) = (now - last, now);
            }
            _lastReservedAt = now;
            if (options.Halfway > 0 && _halfwayMark is null && _orders.Count >= options.Halfway)
            {
                reachedHalfway = _halfwayMark = new FlashHalfway(now, _orders.Count);
            }
        }
        if (reachedHalfway is not null)
        {
            _halfway.TrySetResult(reachedHalfway);
        }
    }

    public void Finished(string outcome)
    {
        lock (_lock)
        {
            _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
            _done++;
        }
    }

    public void SoldOut()
    {
        lock (_lock)
        {
            _soldOutAt ??= Elapsed;
        }
    }

    /// <summary>Where the run stands; the answer rate is since the previous call.</summary>
    public FlashProgress Progress()
    {
        lock (_lock)
        {
            var now = Elapsed;
            var rate = (_answers - _answersAtLastProgress) / Math.Max((now - _lastProgressAt).TotalSeconds, 1e-6);
            (_lastProgressAt, _answersAtLastProgress) = (now, _answers);
            return new FlashProgress(now, _done, options.Buyers, _orders.Count, options.Stock,
                _outcomes.GetValueOrDefault(FlashOutcomes.SoldOut), _retries, _retryStatuses, _connectionErrors, rate);
        }
    }

    /// <summary>Completes <see cref="Halfway"/> with null unless the mark was reached: the run is over.</summary>
    public void CloseHalfway() => _halfway.TrySetResult(null);

    public FlashResult Result(TimeSpan elapsed)
    {
        lock (_lock)
        {
            var unfinished = options.Buyers - _done;
            return new FlashResult
            {
                Buyers = options.Buyers,
                Concurrency = options.Concurrency,
                StartedAt = StartedAt,
                Elapsed = elapsed,
                // Only the run's end (MaxDuration) leaves buyers without an outcome.
                TimedOut = unfinished > 0,
                Unfinished = unfinished,
                Sent = _sent,
                Answers = _answers,
                Retries = _retries,
                ConnectionErrors = _connectionErrors,
                Outcomes = new Dictionary<string, int>(_outcomes, StringComparer.Ordinal),
                Statuses = new Dictionary<int, int>(_statuses),
                Nodes = [.. _nodes.OrderBy(n => n.Key, StringComparer.Ordinal)
                    .Select(n => new FlashNode(n.Key, n.Value.Before.Counts, n.Value.After.Counts))],
                Orders = [.. _orders],
                SoldOutAt = _soldOutAt,
                LastReservedAt = _lastReservedAt,
                LongestReservedGap = _longestGap,
                LongestReservedGapEnd = _longestGapEnd,
                Halfway = _halfwayMark,
            };
        }
    }

    private NodeTally Node(string address)
    {
        if (!_nodes.TryGetValue(address, out var node))
        {
            _nodes[address] = node = new NodeTally();
        }
        return node;
    }

    private sealed class NodeTally
    {
        public PhaseTally Before { get; } = new();

        public PhaseTally After { get; } = new();

        public PhaseTally Of(FlashPhase phase) => phase == FlashPhase.Before ? Before : After;
    }

    private sealed class PhaseTally
    {
        public int Answers { get; set; }

        public int Reserved { get; set; }

        public int Picked { get; set; }

        public FlashNodeCounts Counts => new(Answers, Reserved, Picked);
    }
}
