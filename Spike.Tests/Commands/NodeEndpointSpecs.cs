using Spike.Commands;

namespace Spike.Tests.Commands;

public sealed class NodeEndpointSpecs
{
    [Theory]
    [InlineData("0", "127.0.0.1", 9110)]
    [InlineData("3", "127.0.0.1", 9113)]
    [InlineData("127.0.0.1:9200", "127.0.0.1", 9200)]
    [InlineData("node-a.local:9110", "node-a.local", 9110)]
    [InlineData("[::1]:9110", "::1", 9110)]
    public void Should_read_the_endpoint_when_given_an_index_or_host_and_port(string text, string host, int port)
    {
        Assert.True(NodeEndpoint.TryParse(text, out var endpoint));
        Assert.Equal(new NodeEndpoint(host, port), endpoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("localhost:")]
    [InlineData("localhost:0")]
    [InlineData("localhost:65536")]
    [InlineData("localhost:port")]
    [InlineData(":9110")]
    [InlineData("-1")]
    [InlineData("99999999999")]
    public void Should_refuse_the_text_when_it_is_no_endpoint(string text)
    {
        Assert.False(NodeEndpoint.TryParse(text, out _));
    }
}
