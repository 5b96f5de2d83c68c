namespace Spike.Actors.Orders;

/// <summary>
/// When the order feed visits each sale next. A sale whose last visit found work (entries to turn into orders, or
/// orders past their deadline) is visited in every round, the feed's own pace (back to back while work is left); after
/// a visit that finds nothing the pause is <paramref name="busyInterval"/>, and each further one doubles it, up to
/// <paramref name="quietInterval"/>. Every sale ever created stays in the store, so a feed that asked each
/// of them every round would spend, on an idle cluster, Redis calls in proportion to the sales of the past.
/// </summary>
/// <param name="busyInterval">The pause after the first visit that found nothing (the feed's poll interval).</param>
/// <param name="quietInterval">The longest pause: how late the first order of a sale that sells again is created at most.</param>
public sealed class FeedSchedule(TimeSpan busyInterval, TimeSpan quietInterval)
{
    private readonly record struct Visit(int EmptyVisits, DateTime Next);

    private readonly Dictionary<string, Visit> _visits = [];

    /// <summary>The sales to visit in a round starting at <paramref name="now"/>: new ones and those whose pause is over.</summary>
    public IReadOnlyList<string> Due(IReadOnlyList<string> sales, DateTime now)
    {
        var listed = sales.ToHashSet();
        foreach (var gone in _visits.Keys.Where(sale => !listed.Contains(sale)).ToList())
        {
            _visits.Remove(gone);
        }
        return sales.Where(sale => !_visits.TryGetValue(sale, out var visit) || visit.Next <= now).ToList();
    }

    /// <summary>Whether the sale's last visit found work, or it was never visited (its lag is unknown).</summary>
    public bool FoundWorkLastTime(string sale) => !_visits.TryGetValue(sale, out var visit) || visit.EmptyVisits == 0;

    /// <summary>Records a visit that started at <paramref name="at"/> and whether it found work.</summary>
    public void Visited(string sale, bool foundWork, DateTime at)
    {
        var emptyVisits = foundWork ? 0 : _visits.GetValueOrDefault(sale).EmptyVisits + 1;
        _visits[sale] = new Visit(emptyVisits, at + PauseAfter(emptyVisits));
    }

    private TimeSpan PauseAfter(int emptyVisits)
    {
        if (emptyVisits == 0)
        {
            return TimeSpan.Zero;
        }
        // busy, 2x, 4x ... capped; the shift stays small so it cannot overflow
        var pause = busyInterval * (1L << Math.Min(emptyVisits - 1, 16));
        return pause < quietInterval ? pause : quietInterval;
    }
}
