using Spike.Tests.Fixtures;

namespace Spike.Tests.Tracing;

/// <summary>
/// The tracing specs. A tracer provider listens to every ActivitySource of its name in the process, whichever node
/// started it, and the specs of tracing off count every Activity of the process: so these run alone, after the
/// parallel collections, one class after another, with a Redis of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "tracing";

    /// <summary>Settings of a node that traces: nothing listens on the OTLP port, the tests read an in-memory exporter.</summary>
    public static Dictionary<string, string> Traced(double sampleRatio) => new()
    {
        ["Spike:Tracing:Enabled"] = "true",
        ["Spike:Tracing:SampleRatio"] = sampleRatio.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Spike:Tracing:OtlpEndpoint"] = $"http://127.0.0.1:{Support.FreePort.Next()}",
    };
}
