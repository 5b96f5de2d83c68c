using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spike.Host.Hosting;

namespace Spike.Tests.Hosting;

/// <summary>The logging defaults every node gets from <see cref="SpikeNodeExtensions.AddSpikeNode{TBuilder}"/>, headless or not.</summary>
public sealed class NodeLoggingSpecs
{
    private const string RequestLines = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public async Task Should_log_no_request_lines_and_warnings_only_from_aspnetcore_when_nothing_is_configured()
    {
        await using var node = Build();

        var loggers = node.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger(RequestLines).IsEnabled(LogLevel.Critical));
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Routing").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Spike.Host").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task Should_let_the_configuration_override_a_default_when_it_names_the_category()
    {
        await using var node = Build(("Logging:LogLevel:" + RequestLines, "Information"));

        var loggers = node.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger(RequestLines).IsEnabled(LogLevel.Information));
    }

    /// <summary>A node built, not started: no actor system, no Redis connection.</summary>
    private static WebApplication Build(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }
        builder.AddSpikeNode();
        return builder.Build();
    }
}
