using System.Net;
using Spike.Tests.Fixtures;

namespace Spike.Tests.Http;

[Collection(SpikeAppCollection.Name)]
public sealed class HealthApiSpecs(SpikeAppFixture app)
{
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/ready")]
    [InlineData("/ping")]
    public async Task Should_answer_200_when_the_node_is_up(string path)
    {
        using var response = await app.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
