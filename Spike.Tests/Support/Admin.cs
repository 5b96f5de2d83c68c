using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Spike.Tests.Support;

/// <summary>The admin API as the tests use it, against any node or nginx.</summary>
public static class Admin
{
    /// <summary>The token every test node is started with.</summary>
    public const string Token = "test-admin-token";

    public static HttpRequestMessage Request(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return request;
    }

    /// <summary>Creates a sale with a unique id (starting with <paramref name="prefix"/>) and returns the id.</summary>
    public static async Task<string> CreateSaleAsync(HttpClient client, long stock, int perUserLimit = 1, string prefix = "t", int paymentWindowSeconds = 300)
    {
        var sale = prefix + Guid.NewGuid().ToString("N")[..12];
        using var request = Request(HttpMethod.Put, $"/admin/sales/{sale}", new { stock, perUserLimit, paymentWindowSeconds });
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created,
            $"creating sale {sale}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return sale;
    }

    /// <summary>The sale as <c>GET /admin/sales/{id}</c> answers it (must be 200).</summary>
    public static async Task<JsonElement> ReadSaleAsync(HttpClient client, string sale)
    {
        using var request = Request(HttpMethod.Get, $"/admin/sales/{sale}");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
