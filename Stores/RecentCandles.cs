using System.Collections.Concurrent;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

/// <summary>
/// Decoded candles of the windows a process reads again and again (Inference reads each series' newest window at every
/// close), so that only the candles it has not seen are fetched and decoded. Exact: a stored candle never changes (an
/// append keeps the stored values and reports a conflict) and is never removed, and the store still lists the window's
/// openTimes from Redis on every read, so a candle that filled a hole, or one stored by another instance, is read.
/// Per series it keeps the last window read and whatever is newer; at most <see cref="MaxSeries"/> series (past that,
/// it starts afresh).
/// </summary>
public sealed class RecentCandles
{
    public const int MaxSeries = 20_000;
    readonly ConcurrentDictionary<SeriesKey, Dictionary<long, Candle>> _series = new();

    /// <summary>The cached candles of <paramref name="series"/> at <paramref name="openTimesMs"/>: null where not cached.</summary>
    internal Candle?[] Find(SeriesKey series, ReadOnlySpan<long> openTimesMs)
    {
        var found = new Candle?[openTimesMs.Length];
        if (!_series.TryGetValue(series, out var cached))
            return found;
        lock (cached)
        {
            for (var i = 0; i < openTimesMs.Length; i++)
                found[i] = cached.GetValueOrDefault(openTimesMs[i]);
        }

        return found;
    }

    /// <summary>Keeps the window just read (ascending), forgetting what is older than its first candle.</summary>
    internal void Keep(SeriesKey series, IReadOnlyList<Candle> window)
    {
        if (window.Count == 0)
            return;
        if (_series.Count >= MaxSeries && !_series.ContainsKey(series))
            _series.Clear();
        var cached = _series.GetOrAdd(series, _ => []);
        var first = window[0].OpenTime.ToUnixTimeMilliseconds();
        lock (cached)
        {
            foreach (var candle in window)
                cached[candle.OpenTime.ToUnixTimeMilliseconds()] = candle;
            if (cached.Count > window.Count)
            {
                foreach (var old in cached.Keys.Where(t => t < first).ToList())
                    cached.Remove(old);
            }
        }
    }
}
