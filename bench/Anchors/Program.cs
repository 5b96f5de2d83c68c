using System.Text;
using Spike.Actors.Inventory;
using Spike.Host.Redis;
using StackExchange.Redis;

// The bench's reference points for one node, measured beside Spike in the same run:
//   GET /ping        a constant JSON answer: what Kestrel alone costs (the HTTP ceiling of one process).
//   GET /buy/ticket  one Lua call per request: Spike's own reserve script for a single buyer, run by the
//                    same store code, with no actors and no batching (the per-request design Spike's
//                    batching is meant to beat). Same guarantees per ticket: idempotency, per-user
//                    limit, reservation record, order stream.
// Configuration: --urls, and Redis (a StackExchange.Redis configuration string, default 127.0.0.1:6379).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var redis = RedisConnection.Connect(builder.Configuration["Redis"] ?? "127.0.0.1:6379");
builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
builder.Services.AddSingleton<IInventoryStore>(services => new RedisInventoryStore(services.GetRequiredService<IConnectionMultiplexer>()));

var app = builder.Build();
var constant = Encoding.UTF8.GetBytes("""{"status":"ok"}""");
app.MapGet("/ping", (HttpContext context) =>
{
    context.Response.ContentType = "application/json";
    return context.Response.Body.WriteAsync(constant).AsTask();
});
app.MapGet("/buy/ticket", async (string sale, string user, string? requestId, IInventoryStore store, CancellationToken cancellationToken) =>
{
    var item = new ReserveItem(requestId ?? Guid.NewGuid().ToString("N"), user, Quantity: 1);
    try
    {
        var result = await store.ReserveAsync(sale, [item], cancellationToken);
        var outcome = result.Outcomes[0];
        return outcome.Status == ReserveStatus.Reserved
            ? Results.Text($$"""{"status":"reserved","orderId":"{{outcome.OrderId}}"}""", "application/json")
            : Results.Text($$"""{"status":"{{outcome.Status}}"}""", "application/json", statusCode: StatusCodes.Status409Conflict);
    }
    catch (InventoryUnavailableException)
    {
        return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
    }
});
app.Run();
