using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

/// <summary>The store of the embedded, one-process fleet. Same semantics as the Redis store; nothing survives a restart.</summary>
public sealed class InMemoryCandleStore : ICandleStore
{
    readonly Lock _gate = new();
    // Encoded values (compared on append, as the Redis store does) with the candle decoded once from them.
    readonly Dictionary<SeriesKey, SortedDictionary<long, (string Values, Candle Candle)>> _series = [];
    // The newest key per series: SortedDictionary finds its last entry only by walking all of them.
    readonly Dictionary<SeriesKey, long> _newest = [];
    readonly Dictionary<string, AppendResult> _receipts = new(StringComparer.Ordinal);

    public Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candles);
        lock (_gate)
        {
            var receiptKey = receipt is null ? null : $"{series}|{receipt}";
            if (receiptKey is not null && _receipts.TryGetValue(receiptKey, out var recorded))
                return Task.FromResult(recorded);

            if (!_series.TryGetValue(series, out var stored))
                _series[series] = stored = [];
            DateTimeOffset? previousLast = _newest.TryGetValue(series, out var newest) ? DateTimeOffset.FromUnixTimeMilliseconds(newest) : null;

            var result = new AppendStatus[candles.Count];
            for (var i = 0; i < candles.Count; i++)
            {
                var key = CandleValues.Key(candles[i].OpenTime);
                var values = CandleValues.Encode(candles[i]);
                if (!stored.TryGetValue(key, out var existing))
                {
                    stored[key] = (values, CandleValues.Decode(series, key, values));
                    result[i] = AppendStatus.Added;
                    if (!_newest.TryGetValue(series, out var last) || key > last)
                        _newest[series] = key;
                }
                else
                {
                    result[i] = existing.Values == values ? AppendStatus.Duplicate : AppendStatus.Conflict;
                }
            }

            var answer = new AppendResult(result, previousLast);
            if (receiptKey is not null)
                _receipts[receiptKey] = answer;
            return Task.FromResult(answer);
        }
    }

    public Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var key = CandleValues.Key(openTime);
            return Task.FromResult(_series.TryGetValue(series, out var s) && s.TryGetValue(key, out var v)
                ? v.Candle
                : null);
        }
    }

    public Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default)
    {
        var lo = from is null ? long.MinValue : CandleValues.Key(from.Value);
        var hi = to is null ? long.MaxValue : CandleValues.Key(to.Value);
        lock (_gate)
        {
            IReadOnlyList<Candle> result = _series.TryGetValue(series, out var s)
                ? s.SkipWhile(kv => kv.Key < lo).TakeWhile(kv => kv.Key <= hi).Select(kv => kv.Value.Candle).ToList()
                : [];
            return Task.FromResult(result);
        }
    }

    public Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            IReadOnlyList<Candle> result = _series.TryGetValue(series, out var s)
                ? s.Skip(Math.Max(0, s.Count - count)).Select(kv => kv.Value.Candle).ToList()
                : [];
            return Task.FromResult(result);
        }
    }

    public Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, DateTimeOffset upTo, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var hi = CandleValues.Key(upTo);
        lock (_gate)
        {
            if (!_series.TryGetValue(series, out var s))
                return Task.FromResult<IReadOnlyList<Candle>>([]);
            var upToHi = s.TakeWhile(kv => kv.Key <= hi).Select(kv => kv.Value.Candle).ToList();
            IReadOnlyList<Candle> result = upToHi.Skip(Math.Max(0, upToHi.Count - count)).ToList();
            return Task.FromResult(result);
        }
    }

    public Task<long> CountAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default)
    {
        var lo = from is null ? long.MinValue : CandleValues.Key(from.Value);
        var hi = to is null ? long.MaxValue : CandleValues.Key(to.Value);
        lock (_gate)
            return Task.FromResult(_series.TryGetValue(series, out var s) ? s.Keys.LongCount(k => k >= lo && k <= hi) : 0L);
    }

    public Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<SeriesKey>>(_series.Where(s => s.Value.Count > 0).Select(s => s.Key).OrderBy(k => k.ToString()).ToList());
    }
}
