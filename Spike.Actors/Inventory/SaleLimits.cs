namespace Spike.Actors.Inventory;

/// <summary>Bounds on a sale's counts that the API, the store and its Lua scripts all enforce.</summary>
public static class SaleLimits
{
    /// <summary>
    /// The most tickets a sale may have in total: 10^12. Lua numbers are doubles, exact integers only up
    /// to 2^53 (about 9 * 10^15); with this bound a script's total + add stays far below that.
    /// </summary>
    public const long MaxTotal = 1_000_000_000_000;

    /// <summary>The highest per-user limit a sale may set; no buyer can ask for more tickets at once.</summary>
    public const int MaxPerUserLimit = 1_000;
}
