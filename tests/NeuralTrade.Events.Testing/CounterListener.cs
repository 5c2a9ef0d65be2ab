using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Testing;

/// <summary>Sums one counter (optionally for one tag value) as it is recorded, so tests can wait on a worker's metrics.</summary>
public sealed class CounterListener : IDisposable
{
    readonly MeterListener _listener = new();
    long _total;

    public CounterListener(string meter, string instrument, (string Key, string Value)? tag = null)
    {
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == meter && i.Name == instrument)
                l.EnableMeasurementEvents(i);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (tag is { } wanted)
            {
                var match = false;
                foreach (var t in tags)
                    match |= t.Key == wanted.Key && Equals(t.Value, wanted.Value);
                if (!match)
                    return;
            }

            Interlocked.Add(ref _total, value);
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public async Task<bool> WaitForAsync(long atLeast, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (Total < atLeast && DateTime.UtcNow < until)
            await Task.Delay(20);
        return Total >= atLeast;
    }

    public void Dispose() => _listener.Dispose();
}
