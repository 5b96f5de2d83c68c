using StackExchange.Redis;

namespace Spike.Sales;

/// <summary>A reserved answer a buyer got: its order id, and the buyer when the caller knows it.</summary>
public sealed record ReservedAnswer(string OrderId, string? User = null)
{
    /// <summary>One line of an answers file: <c>orderId</c>, or <c>user&lt;TAB&gt;orderId</c> (user ids may hold spaces, never tabs).</summary>
    public static ReservedAnswer Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tab = line.LastIndexOf('\t');
        return tab < 0 ? new ReservedAnswer(line) : new ReservedAnswer(line[(tab + 1)..], line[..tab]);
    }

    /// <summary>The answer as <see cref="Parse"/> reads it back.</summary>
    public string ToLine() => User is null ? OrderId : $"{User}\t{OrderId}";
}

public enum AuditVerdict
{
    Pass,
    Fail,
    /// <summary>Not judged: the check does not apply to the sale's state (e.g. "sold == stock" before the sale sold out).</summary>
    Skip,

    /// <summary>Reported, not judged: a figure whose target a slow or shared machine may miss (a time, a share).</summary>
    Info,
}

/// <summary>One line of the audit: what is checked, the values it compared, and the verdict.</summary>
public sealed record AuditCheck(string Label, string Values, AuditVerdict Verdict)
{
    public override string ToString() => $"{Label,-38} {Values,-50} {Verdict.ToString().ToUpperInvariant()}";
}

/// <summary>What Redis holds for a sale, counted.</summary>
/// <param name="Reservations">Reservation records (orders); one may hold several tickets.</param>
/// <param name="ReservedTickets">Tickets the reservation records hold, less those of released (cancelled or expired) orders.</param>
/// <param name="TicketsByUser">Tickets the per-user counts add up to.</param>
/// <param name="Paid">Orders settled as paid; <paramref name="Cancelled"/> and <paramref name="Expired"/> likewise.</param>
public sealed record SaleCounts(
    long Total, long Held, long Available, long PerUserLimit,
    long Reservations, long ReservedTickets, long OrderEntries,
    long Buyers, long TicketsByUser, long MaxHeldByOneUser,
    long Paid = 0, long Cancelled = 0, long Expired = 0)
{
    /// <summary>The counts of a sale that is not in Redis.</summary>
    public static SaleCounts None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>How to judge a sale beyond its own invariants.</summary>
public sealed record SaleAuditOptions
{
    /// <summary>The sale must have sold out: "sold == stock" fails instead of being skipped while tickets are left.</summary>
    public bool ExpectSoldOut { get; init; }

    /// <summary>The limit users are judged by; by default the sale's own. A limit lowered after users bought is not retroactive.</summary>
    public long? PerUserLimit { get; init; }
}

/// <summary>
/// The audit of one sale, read straight from Redis: the invariants every test, the demo and <c>spike audit</c> check.
/// The sale's keys are read in one MULTI/EXEC, so a sale still selling is audited as one consistent state.
/// </summary>
public sealed class SaleAudit
{
    private SaleAudit(string sale, SaleCounts counts, IReadOnlyList<AuditCheck> checks)
    {
        Sale = sale;
        Counts = counts;
        Checks = checks;
    }

    public string Sale { get; }

    /// <summary>The counts; <see cref="SaleCounts.None"/> when the sale is not in Redis (and the audit fails).</summary>
    public SaleCounts Counts { get; }

    public IReadOnlyList<AuditCheck> Checks { get; }

    public bool Passed => Checks.All(c => c.Verdict != AuditVerdict.Fail);

    /// <summary>One line per check.</summary>
    public override string ToString() => string.Join('\n', Checks);

    /// <param name="answers">The reserved answers buyers got, when known: they are checked against Redis too.</param>
    public static async Task<SaleAudit> ReadAsync(
        IDatabase db, string sale, IReadOnlyCollection<ReservedAnswer>? answers = null, SaleAuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentException.ThrowIfNullOrEmpty(sale);
        options ??= new SaleAuditOptions();
        var read = db.CreateTransaction();
        var metaTask = read.HashGetAllAsync(SaleKeys.Meta(sale));
        var usersTask = read.HashValuesAsync(SaleKeys.Users(sale));
        var reservationsTask = read.HashGetAllAsync(SaleKeys.Reservations(sale));
        var ordersTask = read.StreamLengthAsync(SaleKeys.Orders(sale));
        var statesTask = read.HashGetAllAsync(SaleKeys.OrderStates(sale));
        await read.ExecuteAsync();
        var meta = (await metaTask).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        if (meta.Count == 0)
        {
            return new SaleAudit(sale, SaleCounts.None, [new AuditCheck("sale exists", $"no {SaleKeys.Meta(sale)} in Redis", AuditVerdict.Fail)]);
        }
        var users = (await usersTask).Select(v => (long)v).ToArray();
        var reservations = (await reservationsTask).ToDictionary(
            e => e.Name.ToString(), e => ReservationRecord.Parse(e.Value!), StringComparer.Ordinal);
        var states = (await statesTask).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
        // A cancelled or expired order gave its tickets back; its record stays (as its stream entry does).
        var released = states.Where(e => e.Value is SaleKeys.CancelledState or SaleKeys.ExpiredState)
            .Select(e => e.Key)
            .ToHashSet(StringComparer.Ordinal);
        var counts = new SaleCounts(
            Total: meta.GetValueOrDefault(SaleKeys.TotalField),
            Held: meta.GetValueOrDefault(SaleKeys.HeldField),
            Available: meta.GetValueOrDefault(SaleKeys.AvailableField),
            PerUserLimit: meta.GetValueOrDefault(SaleKeys.LimitField),
            Reservations: reservations.Count,
            ReservedTickets: reservations.Where(r => !released.Contains(r.Key)).Sum(r => (long)r.Value.Quantity),
            OrderEntries: await ordersTask,
            Buyers: users.Length,
            TicketsByUser: users.Sum(),
            MaxHeldByOneUser: users.Length == 0 ? 0 : users.Max(),
            Paid: states.Count(e => e.Value == SaleKeys.PaidState),
            Cancelled: states.Count(e => e.Value == SaleKeys.CancelledState),
            Expired: states.Count(e => e.Value == SaleKeys.ExpiredState));
        var limit = options.PerUserLimit ?? counts.PerUserLimit;
        var checks = new List<AuditCheck>
        {
            SoldEqualsStock(counts, options.ExpectSoldOut),
            Check("held + available == total", $"{counts.Held} + {counts.Available} == {counts.Total}",
                counts.Held + counts.Available == counts.Total && counts.Available >= 0),
            Check($"no user over the limit ({limit})", $"max {counts.MaxHeldByOneUser} per user, {users.Count(u => u > limit)} above",
                counts.MaxHeldByOneUser <= limit),
            Check("tickets by user == held", $"{counts.TicketsByUser} == {counts.Held}", counts.TicketsByUser == counts.Held),
            Check("reserved tickets == held", $"{counts.ReservedTickets} == {counts.Held}", counts.ReservedTickets == counts.Held),
            Check("reservations == order entries", $"{counts.Reservations} == {counts.OrderEntries}", counts.Reservations == counts.OrderEntries),
            Check("orders paid == paid counter", $"{counts.Paid} == {meta.GetValueOrDefault(SaleKeys.PaidField)}",
                counts.Paid == meta.GetValueOrDefault(SaleKeys.PaidField)),
            Check("cancelled + expired == released", $"{counts.Cancelled} + {counts.Expired} == {meta.GetValueOrDefault(SaleKeys.ReleasedField)}",
                counts.Cancelled + counts.Expired == meta.GetValueOrDefault(SaleKeys.ReleasedField)),
        };
        if (answers is not null)
        {
            checks.AddRange(AnswerChecks(answers, reservations, released, counts));
        }
        return new SaleAudit(sale, counts, checks);
    }

    private static AuditCheck SoldEqualsStock(SaleCounts counts, bool expectSoldOut)
    {
        const string label = "total sold == stock";
        if (counts.Available == 0)
        {
            return Check(label, $"{counts.Held} == {counts.Total}", counts.Held == counts.Total);
        }
        var values = $"not sold out: {counts.Available} of {counts.Total} left";
        return new AuditCheck(label, values, expectSoldOut ? AuditVerdict.Fail : AuditVerdict.Skip);
    }

    /// <param name="released">Orders whose tickets went back: their answers no longer hold tickets.</param>
    private static IEnumerable<AuditCheck> AnswerChecks(
        IReadOnlyCollection<ReservedAnswer> answers, Dictionary<string, ReservationRecord> reservations, HashSet<string> released, SaleCounts counts)
    {
        var found = answers.Where(a => reservations.ContainsKey(a.OrderId)).ToArray();
        var holding = found.Where(a => !released.Contains(a.OrderId)).ToArray();
        // An answer counts the tickets its reservation holds; the same order id answered twice counts twice.
        var answeredTickets = holding.Sum(a => (long)reservations[a.OrderId].Quantity);
        var answered = (answeredTickets == holding.Length ? $"{holding.Length}" : $"{holding.Length} answers, {answeredTickets} tickets")
            + (holding.Length == answers.Count ? "" : $" (of {answers.Count}, less released)") + $" == {counts.Held}";
        yield return Check("reserved answers == held", answered, answeredTickets == counts.Held && found.Length == answers.Count);
        var buyers = answers.Select(a => a.User ?? (reservations.TryGetValue(a.OrderId, out var r) ? r.User : "?" + a.OrderId))
            .Distinct(StringComparer.Ordinal).Count();
        yield return Check("one reserved answer per buyer", $"{buyers} buyers, {answers.Count} answers", buyers == answers.Count);
        yield return Check("every reserved answer in Redis", $"{found.Length} of {answers.Count} order ids", found.Length == answers.Count);
    }

    private static AuditCheck Check(string label, string values, bool passed) =>
        new(label, values, passed ? AuditVerdict.Pass : AuditVerdict.Fail);
}
