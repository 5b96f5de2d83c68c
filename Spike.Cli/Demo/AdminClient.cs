using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Spike.Cli.Demo;

/// <summary>A sale as <c>GET /admin/sales/{id}</c> shows it: Redis's counts and the order counters.</summary>
public sealed record SaleView(
    string Id, long Total, long Held, long Available, long Reserved, long Paid, long Released, long Orders, long OrderLag, long ReserveCalls)
{
    /// <summary>Every reservation is an order, and every order is paid or released.</summary>
    public bool Settled => OrderLag == 0 && Paid + Released == Reserved;
}

/// <summary>The admin API of the local cluster as the demo and the bench use it, with the cluster's admin token.</summary>
public sealed class AdminClient(Uri baseUrl, string token) : IDisposable
{
    /// <summary>The local cluster's admin API: through nginx, like every other client.</summary>
    public static AdminClient For(Local.RunState state)
    {
        var topology = state.Settings.Topology;
        return new AdminClient(new Uri($"http://{topology.Host}:{topology.NginxPort}"),
            topology.AdminToken ?? throw new Local.LocalClusterException("no admin token in .run (spike down && spike up)"));
    }

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false })
    {
        BaseAddress = baseUrl,
        Timeout = TimeSpan.FromSeconds(10),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
    };

    public HttpClient Http => _http;

    public string Token => token;

    /// <exception cref="HttpRequestException">The sale was not created (the message has the answer).</exception>
    public async Task CreateSaleAsync(string sale, long stock, int paymentWindowSeconds, CancellationToken cancel)
    {
        using var response = await _http.PutAsJsonAsync($"/admin/sales/{sale}", new { stock, perUserLimit = 1, paymentWindowSeconds }, cancel);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"PUT /admin/sales/{sale} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
        }
    }

    /// <summary>The sale's view; null when it did not answer 200 (a node restarting, nginx retrying).</summary>
    public async Task<SaleView?> ReadSaleAsync(string sale, CancellationToken cancel)
    {
        try
        {
            using var response = await _http.GetAsync($"/admin/sales/{sale}", cancel);
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<SaleView>(cancel) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
