using System.Diagnostics.Metrics;
using Spike.Actors;

namespace Spike.Tests.Support;

/// <summary>
/// Reads Spike's observable gauges as an exporter does: a listener asks every callback once. The meter is the
/// process's, so the readings include every node and actor the tests' process runs; a tag such as the sale's own id
/// picks the test's.
/// </summary>
public static class Gauges
{
    /// <summary>The values of the gauge's measurements that carry every one of <paramref name="tags"/>.</summary>
    public static IReadOnlyList<long> Read(string instrument, params (string Key, string Value)[] tags)
    {
        var values = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (published, l) =>
        {
            if (published.Meter.Name == SpikeMetrics.MeterName && published.Name == instrument)
            {
                l.EnableMeasurementEvents(published);
            }
        };
        void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> measured)
        {
            foreach (var (key, wanted) in tags)
            {
                var found = false;
                foreach (var tag in measured)
                {
                    found |= tag.Key == key && tag.Value as string == wanted;
                }
                if (!found)
                {
                    return;
                }
            }
            values.Add(value);
        }
        listener.SetMeasurementEventCallback<long>((_, value, measured, _) => Record(value, measured));
        listener.SetMeasurementEventCallback<int>((_, value, measured, _) => Record(value, measured));
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
