using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Spike.Tests.Support;

/// <summary>A tiny HTTP server on a free 127.0.0.1 port that answers every request with <c>handle</c>: a stand-in for nginx or a node.</summary>
public sealed class LoopbackStub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackStub(WebApplication app, Uri url) => (_app, Url) = (app, url);

    public Uri Url { get; }

    public static async Task<LoopbackStub> StartAsync(RequestDelegate handle)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handle);
        await app.StartAsync();
        return new LoopbackStub(app, new Uri($"http://127.0.0.1:{port}"));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
