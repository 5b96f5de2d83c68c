using Spike.Host.Hosting;

namespace Spike.Tests.Tracing;

public sealed class TracingOptionsSpecs
{
    [Theory]
    [InlineData(-0.1, null)]
    [InlineData(1.5, null)]
    [InlineData(double.NaN, null)]
    [InlineData(0.5, "127.0.0.1:4317")]
    public void Should_refuse_a_ratio_outside_zero_to_one_or_a_relative_endpoint_when_tracing_is_enabled(double ratio, string? endpoint)
    {
        var tracing = new TracingOptions { Enabled = true, SampleRatio = ratio, OtlpEndpoint = endpoint };

        var problem = tracing.Check();

        Assert.NotNull(problem);
    }

    [Theory]
    [InlineData(true, 0, null)]
    [InlineData(true, 1, "http://127.0.0.1:4317")]
    [InlineData(false, 7, "not a uri")]
    public void Should_accept_the_settings_when_they_are_in_range_or_tracing_is_off(bool enabled, double ratio, string? endpoint)
    {
        var tracing = new TracingOptions { Enabled = enabled, SampleRatio = ratio, OtlpEndpoint = endpoint };

        var problem = tracing.Check();

        Assert.Null(problem);
    }
}
