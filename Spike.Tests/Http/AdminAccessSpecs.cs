using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spike.Api.Endpoints;
using Spike.Host.Hosting;
using Spike.Tests.Support;

namespace Spike.Tests.Http;

public sealed class AdminAccessSpecs
{
    [Fact]
    public void Should_allow_only_the_configured_token_when_one_is_set()
    {
        var access = new AdminAccess(Options.Create(new SpikeOptions { AdminToken = "s3cret" }), new RecordingLogger<AdminAccess>());

        Assert.True(access.Allows("Bearer s3cret"));
        Assert.False(access.Allows("Bearer s3cre"));
        Assert.False(access.Allows("Bearer s3cret "));
        Assert.False(access.Allows("s3cret"));
        Assert.False(access.Allows(null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Should_refuse_every_call_and_warn_at_start_when_no_token_is_configured(string? configured)
    {
        // arrange
        var logger = new RecordingLogger<AdminAccess>();

        // act
        var access = new AdminAccess(Options.Create(new SpikeOptions { AdminToken = configured }), logger);

        // assert: not even an empty bearer token gets in, and the start says why
        Assert.False(access.Allows("Bearer "));
        Assert.False(access.Allows("Bearer " + configured));
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("refuses every call", warning.Message, StringComparison.Ordinal);
    }
}
