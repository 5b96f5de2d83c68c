using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Spike.Host.Hosting;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

public sealed class StructuredLogSpecs(LoggedSpikeAppFixture app) : IClassFixture<LoggedSpikeAppFixture>
{
    [Theory]
    [InlineData("json")]
    [InlineData("systemd")]
    public void Should_write_console_logs_in_the_configured_format_when_a_node_is_composed(string configured)
    {
        // arrange
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["Logging:Console:FormatterName"] = configured;

        // act
        builder.AddSpikeNode();
        using var services = builder.Services.BuildServiceProvider();

        // assert
        Assert.Equal(configured, services.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
    }

    [Fact]
    public void Should_pass_akka_events_to_the_host_loggers_when_a_node_starts()
    {
        // the cluster's own lines (this node joining itself) came through Microsoft.Extensions.Logging
        Assert.Contains(app.Logs.Records, entry => entry.Message.Contains("is JOINING", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_log_the_sale_id_as_a_structured_field_when_an_admin_call_changes_a_sale()
    {
        // act
        var sale = await Admin.CreateSaleAsync(app.Client, stock: 2);

        // assert
        Assert.Contains(app.Logs.Records, entry => entry.Field("SaleId") == sale);
    }

    [Fact]
    public async Task Should_never_log_the_admin_token_when_a_node_served_admin_calls_with_it()
    {
        // act: create, read, add to, close and delete a sale, and one call with a wrong token
        var sale = await Admin.CreateSaleAsync(app.Client, stock: 2);
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Get, $"/admin/sales/{sale}", null),
            (HttpMethod.Post, $"/admin/sales/{sale}/stock", new { add = 1 }),
            (HttpMethod.Post, $"/admin/sales/{sale}/close", null),
            (HttpMethod.Delete, $"/admin/sales/{sale}", null),
        })
        {
            using var request = Admin.Request(method, path, body);
            using var response = await app.Client.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode}");
        }
        using var wrong = new HttpRequestMessage(HttpMethod.Get, $"/admin/sales/{sale}");
        wrong.Headers.Authorization = new("Bearer", Admin.Token + "-wrong");
        using var refused = await app.Client.SendAsync(wrong);

        // assert
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain(app.Logs.Entries, line => line.Contains(Admin.Token, StringComparison.Ordinal));
    }
}

/// <summary>A node whose every log entry, Akka's debug lines included, is recorded.</summary>
public sealed class LoggedSpikeAppFixture : SpikeAppFixture
{
    public LogRecorder Logs { get; } = new(LogLevel.Trace);

    protected override void ConfigureNode(IWebHostBuilder web) =>
        web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
}
