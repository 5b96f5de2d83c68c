using System.Net;
using System.Text.Json;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

public sealed class OpenApiSpecs(SpikeAppFixture app) : IClassFixture<SpikeAppFixture>
{
    [Fact]
    public async Task Should_describe_the_buy_order_and_admin_endpoints_when_the_document_is_asked_for()
    {
        // act
        using var response = await app.Client.GetAsync("/openapi/v1.json");

        // assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/buy/ticket", "/orders/{id}", "/orders/{id}/pay", "/orders/{id}/cancel", "/admin/sales", "/admin/sales/{id}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"the document lacks {path}");
        }
        Assert.True(paths.GetProperty("/admin/sales/{id}").GetProperty("get").GetProperty("responses").TryGetProperty("401", out _),
            "the admin endpoints do not describe their 401 answer");
        var buyAnswers = paths.GetProperty("/buy/ticket").GetProperty("get").GetProperty("responses");
        foreach (var status in new[] { "200", "409", "429" })
        {
            Assert.True(buyAnswers.TryGetProperty(status, out _), $"GET /buy/ticket does not describe its {status} answer");
        }
    }
}
