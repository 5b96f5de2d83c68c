namespace Spike.Tests.Support;

/// <summary>The real clock moved by <see cref="Offset"/>: a node whose clock runs ahead or behind, or a test that moves time on.</summary>
public sealed class ShiftedClock(TimeSpan offset = default) : TimeProvider
{
    public TimeSpan Offset { get; set; } = offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
