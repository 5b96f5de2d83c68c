using System.Text.Json;
using System.Text.Json.Serialization;
using Spike.Actors.Orders;

namespace Spike.Api.Endpoints;

// Wire shapes of the HTTP API. Clients switch on "status".

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BuyBody(string? Sale, string? User, int? Quantity, string? RequestId);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
/// <param name="OpensAt">ISO-8601 instant the sale opens (UTC when it carries no offset); absent: open now.</param>
/// <param name="ClosesAt">ISO-8601 instant the sale closes, after <paramref name="OpensAt"/>; absent: never.</param>
public sealed record SaleSettingsBody(long? Stock, int? PerUserLimit, int? PaymentWindowSeconds, string? OpensAt = null, string? ClosesAt = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AddStockBody(long? Add, string? OperationId);

/// <summary>Paying or cancelling: the buyer names themselves, and must be the order's.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record OrderActionBody(string? User);

public sealed record ReservedResponse(string Status, string OrderId, string Sale, string User, int Quantity, DateTimeOffset PayBy);

/// <param name="Available">not_enough_left: the tickets that were left.</param>
/// <param name="OpensAt">not_open: when the sale opens.</param>
public sealed record StatusResponse(string Status, string? RequestId = null, string? Detail = null, long? Available = null, DateTimeOffset? OpensAt = null);

/// <param name="State">reserved, paid, cancelled or expired.</param>
public sealed record OrderResponse(string OrderId, string Sale, string User, int Quantity, string State, DateTimeOffset PayBy);

/// <summary>
/// A sale. Reading it adds how its reservations came along as orders (<see cref="OrderProgress"/>): reservations ever
/// made, orders paid, orders released (cancelled or expired), orders created so far, and reservations whose order is
/// not created yet; and the reserve calls Redis ran for it (one per batch of requests). <paramref name="State"/>: open,
/// not_open, closed or sold_out (see <see cref="Spike.Actors.Inventory.SaleState"/>).
/// </summary>
public sealed record SaleResponse(
    string Id, long Total, long Held, long Available, int PerUserLimit, int PaymentWindowSeconds,
    DateTimeOffset? OpensAt, DateTimeOffset? ClosesAt, string State,
    long? Reserved = null, long? Paid = null, long? Released = null, long? Orders = null, long? OrderLag = null, long? ReserveCalls = null);

/// <param name="More">True when there are more sales than the listing shows.</param>
public sealed record SaleListResponse(IReadOnlyList<SaleResponse> Sales, bool More);

/// <summary>A sale's reconciliation: <c>clean</c> when its records agree; each difference with how many were repaired.</summary>
public sealed record ReconcileResponse(string Sale, bool Clean, IReadOnlyList<DifferenceResponse> Differences);

public sealed record DifferenceResponse(string Kind, long Count, long Repaired, string Detail);

/// <summary>
/// One second of the dashboard (<c>GET /dashboard/events</c>), as the serving <paramref name="Node"/> sees it. Read-only and
/// public: sales, cluster members and buy rates, nothing an operator's token guards.
/// </summary>
/// <param name="Sales">As <c>GET /admin/sales/{id}</c> reads them, in id order; empty with <paramref name="SalesError"/> when Redis did not answer.</param>
/// <param name="MoreSales">True when there are more sales than the dashboard shows.</param>
/// <param name="Nodes">Each API node's buy answers per second by outcome and its p99 latency, as that node saw them.</param>
public sealed record DashboardEvent(
    DateTimeOffset At, string Node, IReadOnlyList<SaleResponse> Sales, bool MoreSales, string? SalesError,
    IReadOnlyList<MemberResponse> Members, IReadOnlyList<NodeRatesResponse> Nodes);

/// <param name="Status">Akka's member status, lower case: joining, up, leaving, exiting, down, removed…</param>
public sealed record MemberResponse(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable);

/// <param name="PerSecond">Answer status (as the buy endpoint names it: reserved, sold_out, …) → answers per second.</param>
public sealed record NodeRatesResponse(string Node, DateTimeOffset At, IReadOnlyDictionary<string, double> PerSecond, double? P99Ms);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BuyBody))]
[JsonSerializable(typeof(SaleSettingsBody))]
[JsonSerializable(typeof(AddStockBody))]
[JsonSerializable(typeof(ReservedResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(SaleResponse))]
[JsonSerializable(typeof(SaleListResponse))]
[JsonSerializable(typeof(ReconcileResponse))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(OrderActionBody))]
[JsonSerializable(typeof(DashboardEvent))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
