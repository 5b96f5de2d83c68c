using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Spike.Cli.Local;

namespace Spike.Cli.Demo;

/// <summary>A sale as <c>GET /admin/sales/{id}</c> shows it: Redis's counts and the order counters.</summary>
public sealed record SaleView(
    string Id, long Total, long Held, long Available, long Reserved, long Paid, long Released, long Orders, long OrderLag, long ReserveCalls)
{
    /// <summary>Every reservation is an order, and every order is paid or released.</summary>
    public bool Settled => OrderLag == 0 && Paid + Released == Reserved;
}

/// <summary>
/// The admin API of the local cluster as the demo and the bench use it, with the cluster's admin token. nginx does not
/// serve it on the public port, so it goes to the API nodes' own ports: the first that answers (a killed node is skipped).
/// </summary>
public sealed class AdminClient : IDisposable
{
    private readonly IReadOnlyList<Uri> _nodes;
    private readonly string _token;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public AdminClient(IReadOnlyList<Uri> nodes, string token)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        _nodes = nodes;
        _token = token;
    }

    /// <summary>The local cluster's API nodes, in start order.</summary>
    public static AdminClient For(RunState state)
    {
        var topology = state.Settings.Topology;
        return new AdminClient(
            [.. state.Topology.Nodes.Where(n => n.Kind == ProcessKinds.Api).Select(n => new Uri($"http://{n.Host}:{n.HttpPort}"))],
            topology.AdminToken ?? throw new LocalClusterException("no admin token in .run (spike down && spike up)"));
    }

    public string Token => _token;

    /// <summary>The node admin calls go to first.</summary>
    public Uri Url => _nodes[0];

    /// <exception cref="HttpRequestException">The sale was not created (the message has the answer), or no node answered.</exception>
    public async Task CreateSaleAsync(string sale, long stock, int paymentWindowSeconds, CancellationToken cancel)
    {
        using var response = await SendAsync(HttpMethod.Put, $"/admin/sales/{sale}", () => JsonContent.Create(new { stock, perUserLimit = 1, paymentWindowSeconds }), cancel);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"PUT /admin/sales/{sale} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
        }
    }

    /// <summary>The sale's view; null when no node answered 200 (nodes restarting).</summary>
    public async Task<SaleView?> ReadSaleAsync(string sale, CancellationToken cancel)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, $"/admin/sales/{sale}", () => null, cancel);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<SaleView>(cancel) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>To each node in turn until one answers at all; its answer, whatever the status. A request (and its body) is sent once.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Func<HttpContent?> body, CancellationToken cancel)
    {
        HttpRequestException? unanswered = null;
        foreach (var node in _nodes)
        {
            using var request = new HttpRequestMessage(method, new Uri(node, path)) { Content = body() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            try
            {
                return await _http.SendAsync(request, cancel);
            }
            catch (HttpRequestException e)
            {
                unanswered = e;
            }
        }
        throw new HttpRequestException($"no API node answered {method} {path}: {unanswered?.Message}", unanswered);
    }

    public void Dispose() => _http.Dispose();
}
