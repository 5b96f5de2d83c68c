using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Spike.Actors.Inventory;
using Spike.Actors.Orders;
using Spike.Host.Hosting;
using Spike.Host.Redis;

namespace Spike.Api.Endpoints;

/// <summary>Sale administration, behind a bearer token. Writes go through the sale's InventoryActor.</summary>
public static partial class AdminApi
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);
    private const int MaxPaymentWindowSeconds = 86_400;
    /// <summary>Sales one listing shows at most; <c>more</c> says when there are others.</summary>
    private const int MaxListedSales = 1_000;

    public static IServiceCollection AddAdminApi(this IServiceCollection services) => services.AddSingleton<AdminAccess>();

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        // made now, not at the first call: a node without a token says so when it starts
        _ = app.ServiceProvider.GetRequiredService<AdminAccess>();
        var sales = app.MapGroup("/admin/sales").AddEndpointFilter(RequireAdminToken);
        // Every admin call may be refused (401) or find the store down (503).
        sales.WithMetadata(
            new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(void)),
            new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(StatusResponse), ["application/json"]));
        sales.MapGet("", ListSales).Produces<SaleListResponse>(StatusCodes.Status200OK);
        DescribeCommand(sales.MapPut("/{id}", PutSale).Accepts<SaleSettingsBody>("application/json"))
            .Produces<SaleResponse>(StatusCodes.Status200OK).Produces<SaleResponse>(StatusCodes.Status201Created);
        DescribeCommand(sales.MapPost("/{id}/stock", AddStock).Accepts<AddStockBody>("application/json")).Produces<SaleResponse>(StatusCodes.Status200OK);
        DescribeCommand(sales.MapPost("/{id}/close", (string id, HttpContext context, IRequiredActor<InventoryRegion> inventory) => SendCheckedAsync(id, new CloseSale(id), context, inventory)))
            .Produces<SaleResponse>(StatusCodes.Status200OK);
        DescribeCommand(sales.MapDelete("/{id}", (string id, HttpContext context, IRequiredActor<InventoryRegion> inventory) => SendCheckedAsync(id, new DeleteSale(id), context, inventory)))
            .ProducesStatus(StatusCodes.Status200OK);
        sales.MapGet("/{id}", GetSale).Produces<SaleResponse>(StatusCodes.Status200OK).ProducesStatus(StatusCodes.Status404NotFound);
        sales.MapPost("/{id}/reconcile", Reconcile).Produces<ReconcileResponse>(StatusCodes.Status200OK).ProducesValidationProblem().ProducesStatus(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>Why a command may not be done; each endpoint adds what it answers when it is.</summary>
    private static RouteHandlerBuilder DescribeCommand(RouteHandlerBuilder endpoint) => endpoint
        .ProducesValidationProblem()
        .ProducesStatus(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async ValueTask<object?> RequireAdminToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.RequestServices.GetRequiredService<AdminAccess>().Allows(context.HttpContext.Request.Headers.Authorization)
            ? await next(context)
            : TypedResults.Unauthorized();

    private static async Task<IResult> PutSale(string id, HttpContext context, IRequiredActor<InventoryRegion> inventory)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.SaleSettingsBody, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var opensAtError = RequestRules.CheckInstant(body!.OpensAt, out var opensAt);
        var closesAtError = RequestRules.CheckInstant(body.ClosesAt, out var closesAt);
        var settings = new SaleSettings(body.Stock ?? -1, body.PerUserLimit ?? 1, body.PaymentWindowSeconds ?? 300, new SaleSchedule(opensAt, closesAt));
        var invalid =
            ApiResults.Check("id", RequestRules.CheckSaleId(id))
            ?? ApiResults.Check("stock", settings.Stock is >= 0 and <= SaleLimits.MaxTotal ? null : $"is required and must be between 0 and {SaleLimits.MaxTotal}")
            ?? ApiResults.Check("perUserLimit", settings.PerUserLimit is > 0 and <= SaleLimits.MaxPerUserLimit ? null : $"must be between 1 and {SaleLimits.MaxPerUserLimit}")
            ?? ApiResults.Check("paymentWindowSeconds", settings.PaymentWindowSeconds is > 0 and <= MaxPaymentWindowSeconds ? null : $"must be between 1 and {MaxPaymentWindowSeconds}")
            ?? ApiResults.Check("opensAt", opensAtError)
            ?? ApiResults.Check("closesAt", closesAtError ?? SaleSchedule.Check(opensAt, closesAt));
        return invalid ?? await SendAsync(inventory.ActorRef, new ConfigureSale(id, settings), context);
    }

    private static async Task<IResult> AddStock(string id, HttpContext context, IRequiredActor<InventoryRegion> inventory)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, ApiJsonContext.Default.AddStockBody, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }
        var invalid =
            ApiResults.Check("id", RequestRules.CheckSaleId(id))
            ?? ApiResults.Check("add", body!.Add is > 0 and <= SaleLimits.MaxTotal ? null : $"is required and must be between 1 and {SaleLimits.MaxTotal}")
            ?? ApiResults.Check("operationId", body!.OperationId is null ? null : RequestRules.CheckId(body.OperationId, required: false));
        return invalid ?? await SendAsync(inventory.ActorRef, new AddStock(id, body!.Add!.Value, body.OperationId), context);
    }

    private static async Task<IResult> GetSale(string id, IInventoryStore store, IOrderStream orders, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (ApiResults.Check("id", RequestRules.CheckSaleId(id)) is { } invalid)
        {
            return invalid;
        }
        try
        {
            return await SaleReads.ReadWithProgressAsync(id, store, orders, clock, cancellationToken) is { } sale
                ? TypedResults.Json(sale, ApiJsonContext.Default.SaleResponse)
                : ApiResults.UnknownSale;
        }
        catch (InventoryUnavailableException)
        {
            return ApiResults.Unavailable;
        }
    }

    /// <summary>The sales in Redis (the set configuring a sale adds to), in id order, each read as <c>GET /admin/sales/{id}</c> without the order counts.</summary>
    private static async Task<IResult> ListSales(SaleCatalog catalog, IInventoryStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        try
        {
            var ids = await catalog.ListSaleIdsAsync(MaxListedSales + 1, cancellationToken);
            var sales = await Task.WhenAll(ids.Take(MaxListedSales).Select(id => store.GetSaleAsync(id, cancellationToken)));
            // a sale deleted between the listing and its read is simply not shown
            return TypedResults.Json(new SaleListResponse([.. sales.OfType<SaleSnapshot>().Select(sale => SaleReads.ToResponse(sale, clock))], ids.Count > MaxListedSales),
                ApiJsonContext.Default.SaleListResponse);
        }
        catch (InventoryUnavailableException)
        {
            return ApiResults.Unavailable;
        }
    }

    private static async Task<IResult> SendCheckedAsync(string id, ISaleCommand command, HttpContext context, IRequiredActor<InventoryRegion> inventory) =>
        ApiResults.Check("id", RequestRules.CheckSaleId(id)) ?? await SendAsync(inventory.ActorRef, command, context);

    /// <summary>Compares the sale's records, makes the safe repairs, and reports every difference (see <see cref="SaleReconciler"/>).</summary>
    private static async Task<IResult> Reconcile(string id, IOrderStream orders, IRequiredActor<OrderRegion> region, CancellationToken cancellationToken)
    {
        if (ApiResults.Check("id", RequestRules.CheckSaleId(id)) is { } invalid)
        {
            return invalid;
        }
        try
        {
            var report = await new SaleReconciler(orders, region.ActorRef, CommandTimeout).RunAsync(id, askSettledOrders: true, cancellationToken);
            return report is null
                ? ApiResults.UnknownSale
                : TypedResults.Json(new ReconcileResponse(report.SaleId, report.Clean,
                    [.. report.Differences.Select(d => new DifferenceResponse(d.Kind, d.Count, d.Repaired, d.Detail))]),
                    ApiJsonContext.Default.ReconcileResponse);
        }
        catch (InventoryUnavailableException)
        {
            return ApiResults.Unavailable;
        }
    }

    /// <summary>Who asked is not logged: the caller's only credential is the admin token.</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "Sale {SaleId}: {Command} answered {Status}")]
    private static partial void CommandAnswered(ILogger logger, string saleId, string command, SaleCommandStatus status);

    private static async Task<IResult> SendAsync(IActorRef inventory, ISaleCommand command, HttpContext context)
    {
        SaleCommandResult result;
        try
        {
            result = await inventory.Ask<SaleCommandResult>(command, CommandTimeout, context.RequestAborted);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            return Unavailable(command, context);
        }
        var clock = context.RequestServices.GetRequiredService<TimeProvider>();
        CommandAnswered(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminApi)), command.SaleId, command.GetType().Name, result.Status);
        return result.Status switch
        {
            SaleCommandStatus.Created => TypedResults.Json(SaleReads.ToResponse(result.Sale!, clock), ApiJsonContext.Default.SaleResponse, statusCode: StatusCodes.Status201Created),
            SaleCommandStatus.Updated => TypedResults.Json(SaleReads.ToResponse(result.Sale!, clock), ApiJsonContext.Default.SaleResponse),
            SaleCommandStatus.UnknownSale => ApiResults.UnknownSale,
            SaleCommandStatus.Deleted => Deleted,
            SaleCommandStatus.StillSelling => StillSelling,
            SaleCommandStatus.OrdersOpen => OrdersOpen,
            SaleCommandStatus.Conflict => TypedResults.Json(
                new StatusResponse("conflict", Detail: command is AddStock
                    ? $"the total would exceed the maximum of {SaleLimits.MaxTotal} tickets per sale (it is {result.Sale?.Total}); nothing was added"
                    : $"stock cannot go below the {result.Sale?.Held} tickets already held"),
                ApiJsonContext.Default.StatusResponse, statusCode: StatusCodes.Status409Conflict),
            _ => Unavailable(command, context),
        };
    }

    private static readonly JsonAnswer<StatusResponse> Deleted = JsonAnswer.Fixed(StatusCodes.Status200OK,
        new StatusResponse("deleted", Detail: "the sale and its orders are gone"), ApiJsonContext.Default.StatusResponse);
    private static readonly JsonAnswer<StatusResponse> StillSelling = JsonAnswer.Fixed(StatusCodes.Status409Conflict,
        new StatusResponse("conflict", Detail: "the sale is still selling: close it (POST /admin/sales/{id}/close) or let it sell out first; nothing was deleted"),
        ApiJsonContext.Default.StatusResponse);
    private static readonly JsonAnswer<StatusResponse> OrdersOpen = JsonAnswer.Fixed(StatusCodes.Status409Conflict,
        new StatusResponse("conflict", Detail: "some orders are still open (neither paid, cancelled nor expired): delete the sale once every order is settled; nothing was deleted"),
        ApiJsonContext.Default.StatusResponse);

    /// <summary>
    /// A PUT sets absolute values, so its plain retry is safe. An addition may have run even though no
    /// answer came: only its operation id lets the retry add once.
    /// </summary>
    private static JsonAnswer<StatusResponse> Unavailable(ISaleCommand command, HttpContext context) =>
        command is AddStock add
            ? ApiResults.RetryLater(context, StatusCodes.Status503ServiceUnavailable, new StatusResponse("unavailable", Detail: add.OperationId is null
                ? "outcome unknown or store down; the stock may have been added: send an operationId and retry with the same one, or read the sale before adding again"
                : "outcome unknown or store down; retry with the same operationId: it adds the stock at most once"))
            : ApiResults.Unavailable;
}
