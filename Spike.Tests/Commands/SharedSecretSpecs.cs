using Spike.Host.Hosting;

namespace Spike.Tests.Commands;

public sealed class SharedSecretSpecs
{
    private const string Secret = "s3cret-token-of-some-length";

    [Fact]
    public void Should_accept_the_token_when_it_is_the_configured_one()
    {
        Assert.True(new SharedSecret(Secret).Matches(Secret));
    }

    [Theory]
    [InlineData("s3cret-token-of-some-lengtH")] // same length, last character differs
    [InlineData("S3cret-token-of-some-length")] // same length, first character differs
    [InlineData("s3cret")] // a prefix
    [InlineData("s3cret-token-of-some-length-and-more")] // longer
    [InlineData("")]
    [InlineData(null)]
    public void Should_refuse_the_token_when_it_is_wrong_missing_or_of_another_length(string? presented)
    {
        Assert.False(new SharedSecret(Secret).Matches(presented));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Should_not_be_created_when_no_token_is_configured(string? configured)
    {
        Assert.ThrowsAny<ArgumentException>(() => new SharedSecret(configured!));
    }

    [Fact]
    public void Should_keep_the_secret_out_of_its_text_when_formatted()
    {
        Assert.DoesNotContain(Secret, new SharedSecret(Secret).ToString(), StringComparison.Ordinal);
    }
}
