namespace Spike.Actors.Inventory;

/// <summary>Where a sale stands in its schedule at a given instant.</summary>
public enum SalePhase : byte
{
    NotOpen = 1,
    Open = 2,
    Closed = 3,
}

/// <summary>
/// When a sale opens and closes (unix ms, UTC): it sells from <see cref="OpensAtUnixMs"/> included to
/// <see cref="ClosesAtUnixMs"/> excluded. Null: open from the start / never closes, so <c>default</c> is a sale
/// without times. Every node decides with its own clock and the Redis reserve script with Redis's, from the same
/// two instants: no node has to be told "open now".
/// </summary>
public readonly record struct SaleSchedule(long? OpensAtUnixMs, long? ClosesAtUnixMs)
{
    /// <summary>True when the schedule has an instant at all; a sale without one never needs the clock.</summary>
    public bool HasTimes => OpensAtUnixMs is not null || ClosesAtUnixMs is not null;

    /// <summary>When the sale opens, null: open from the start.</summary>
    public DateTimeOffset? OpensAt => Instant(OpensAtUnixMs);

    /// <summary>When the sale closes, null: never.</summary>
    public DateTimeOffset? ClosesAt => Instant(ClosesAtUnixMs);

    /// <summary>Closed wins over not open: a sale closed early (before its opening) stays closed.</summary>
    public SalePhase PhaseAt(long nowUnixMs) =>
        nowUnixMs >= ClosesAtUnixMs ? SalePhase.Closed
        : nowUnixMs < OpensAtUnixMs ? SalePhase.NotOpen
        : SalePhase.Open;

    /// <summary>Why the two instants cannot make a schedule, or null when they can.</summary>
    public static string? Check(long? opensAtUnixMs, long? closesAtUnixMs) =>
        closesAtUnixMs <= opensAtUnixMs ? "must be after opensAt" : null;

    private static DateTimeOffset? Instant(long? unixMs) => unixMs is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}

/// <summary>What an operator sees of a sale: its phase first, then whether stock is left.</summary>
public enum SaleState : byte
{
    Open = 1,
    NotOpen = 2,
    Closed = 3,
    SoldOut = 4,
}

/// <summary>How the admin API and the command host name a <see cref="SaleState"/>: one name per state, everywhere.</summary>
public static class SaleStates
{
    public static string Name(SaleState state) => state switch
    {
        SaleState.Open => "open",
        SaleState.NotOpen => "not_open",
        SaleState.Closed => "closed",
        SaleState.SoldOut => "sold_out",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };
}
