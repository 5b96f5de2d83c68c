using Spike.Api.Admission;
using Spike.Api.Endpoints;
using Spike.Host.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddSpikeNode();
builder.AddAdmissionControl();
builder.Services.AddProblemDetails();
builder.Services.AddAdminApi();
builder.Services.AddOpenApi();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

var app = builder.Build();
app.UseExceptionHandler();
app.UseAdmissionControl();
app.MapHealthApi();
app.MapSpikeMetrics();
// The API's description, from the endpoints' metadata: /openapi/v1.json (not through nginx's public port).
app.MapOpenApi();
app.MapBuyApi();
app.MapOrderApi();
app.MapAdminApi();
app.MapDashboardApi();
app.Run();

/// <summary>The web node's entry point, named by the HTTP tests' WebApplicationFactory.</summary>
public partial class Program;
