namespace Spike.Sales;

/// <summary>
/// The Redis key layout of a sale: the one place that spells key and field names. Every key of a sale carries
/// the hash tag <c>{sale}</c>, so a sale's keys live in one slot and one Lua script may touch all of them on a
/// Redis Cluster too.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>spike:{sale}:meta</c> HASH: <see cref="TotalField"/>, <see cref="AvailableField"/>,
/// <see cref="HeldField"/>, <see cref="LimitField"/>, <see cref="WindowField"/> (payment window, seconds),
/// <see cref="SeqField"/> (order counter), <see cref="PaidField"/> (orders paid), <see cref="ReleasedField"/> (orders
/// whose tickets went back), <see cref="ReserveCallsField"/> (reserve script calls), <see cref="OpensAtField"/> and
/// <see cref="ClosesAtField"/> (the schedule, unix ms; absent: open from the start / never closes). Its absence means
/// "sale not loaded", never "0 left".</item>
/// <item><c>spike:{sale}:req</c> HASH: <see cref="RequestKey"/> → the reserved answer of that request. Never
/// expires, and holds at most one field per ticket: a request id keeps its reserved answer as long as the sale
/// exists, so it can never reserve twice.</item>
/// <item><c>spike:{sale}:refusals</c> HASH: <see cref="RequestKey"/> → the refusal (sold out, limit reached, not
/// enough left) that request got. Buyers far outnumber tickets, so this is the hash that grows; each call that
/// writes to it sets its expiry to the refusal retention again. A refusal is therefore kept at least the retention
/// after the sale's last refusal; after that a retry with its request id is decided afresh.</item>
/// <item><c>spike:{sale}:users</c> HASH: user id → tickets held.</item>
/// <item><c>spike:{sale}:res</c> HASH: order id → reservation record, tab-separated (see <see cref="ReservationRecord"/>).</item>
/// <item><c>spike:{sale}:orders</c> STREAM: one entry per reservation with the fields
/// <see cref="OrderIdField"/>, <see cref="UserField"/>, <see cref="QuantityField"/>, <see cref="PayByField"/>,
/// <see cref="RequestIdField"/>. The consumer group <see cref="OrderFeedGroup"/> turns its entries into orders.</item>
/// <item><c>spike:{sale}:due</c> ZSET: open order id → its payment deadline (unix ms). An order enters when it is
/// created from the stream, unless it was settled before, and leaves when it is settled.</item>
/// <item><c>spike:{sale}:state</c> HASH: order id → how the order was settled, <see cref="PaidState"/>,
/// <see cref="CancelledState"/> or <see cref="ExpiredState"/> (the last two gave its tickets back); no field while
/// it is reserved. Written once per order.</item>
/// <item><c>spike:{sale}:ops</c> HASH: admin operation id → the status of its first add-stock call.</item>
/// <item><c>spike:sales</c> SET (<see cref="Sales"/>, the one key outside a sale's slot): the ids of the sales
/// configured; an id whose meta key is gone is dropped when the sales are listed.</item>
/// </list>
/// Order ids are <c>&lt;sale&gt;-&lt;seq&gt;</c>.
/// </remarks>
public static class SaleKeys
{
    public const string Prefix = "spike:";

    // Fields of the meta hash.
    public const string TotalField = "total";
    public const string AvailableField = "available";
    public const string HeldField = "held";
    public const string LimitField = "limit";
    public const string WindowField = "window";
    public const string SeqField = "seq";
    public const string PaidField = "paid";
    public const string ReleasedField = "released";
    public const string ReserveCallsField = "calls";
    public const string OpensAtField = "opens";
    public const string ClosesAtField = "closes";

    // Fields of an order-stream entry and of a reservation record.
    public const string OrderIdField = "orderId";
    public const string UserField = "user";
    public const string QuantityField = "quantity";
    public const string PayByField = "payBy";
    public const string RequestIdField = "requestId";

    // Values of the order state hash.
    public const string PaidState = "paid";
    public const string CancelledState = "cancelled";
    public const string ExpiredState = "expired";

    public static string Meta(string saleId) => Key(saleId, "meta");

    /// <summary>The set of sale ids: what lists the sales without scanning the keyspace.</summary>
    public const string Sales = Prefix + "sales";

    public static string Requests(string saleId) => Key(saleId, "req");

    public static string Refusals(string saleId) => Key(saleId, "refusals");

    public static string Users(string saleId) => Key(saleId, "users");

    public static string Reservations(string saleId) => Key(saleId, "res");

    public static string Orders(string saleId) => Key(saleId, "orders");

    public static string Operations(string saleId) => Key(saleId, "ops");

    public static string OrderStates(string saleId) => Key(saleId, "state");

    public static string OrderDeadlines(string saleId) => Key(saleId, "due");

    /// <summary>A SCAN MATCH pattern for every key of the sales whose ids match <paramref name="saleIdPattern"/> (a Redis glob).</summary>
    public static string KeysOf(string saleIdPattern) => Key(saleIdPattern, "*");

    /// <summary>Every key of the sale (all in its slot; not <see cref="Sales"/>), meta first: what deleting a sale removes.</summary>
    public static string[] All(string saleId) =>
    [
        Meta(saleId), Requests(saleId), Refusals(saleId), Users(saleId), Reservations(saleId), Orders(saleId),
        Operations(saleId), OrderStates(saleId), OrderDeadlines(saleId),
    ];

    /// <summary>The consumer group of every sale's order stream that creates the orders.</summary>
    public const string OrderFeedGroup = "order-feed";

    /// <summary>The id of the sale's reservation number <paramref name="seq"/>, as the reserve script makes it.</summary>
    public static string OrderId(string saleId, long seq) => saleId + "-" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The sale of an order id (<c>&lt;sale&gt;-&lt;seq&gt;</c>); false when it is not shaped like one.</summary>
    public static bool TrySaleOfOrder(string? orderId, out string saleId)
    {
        var dash = orderId?.LastIndexOf('-') ?? -1;
        var seq = dash > 0 ? orderId.AsSpan(dash + 1) : [];
        var valid = seq.Length is > 0 and <= 18 && seq[0] != '0' && !seq.ContainsAnyExceptInRange('0', '9');
        saleId = valid ? orderId![..dash] : string.Empty;
        return valid;
    }

    /// <summary>The field of the request and refusal hashes for one request: user and request id, newline-separated.</summary>
    public static string RequestKey(string userId, string requestId) => userId + "\n" + requestId;

    private static string Key(string saleId, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(saleId);
        return Prefix + "{" + saleId + "}:" + kind;
    }
}
