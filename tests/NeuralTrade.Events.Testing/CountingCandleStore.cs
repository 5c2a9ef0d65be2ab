using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>A store that counts the candle reads (range and latest) made through it, and the candles they returned.</summary>
public sealed class CountingCandleStore(ICandleStore inner) : DelegatingCandleStore(inner)
{
    long _reads;
    long _candles;

    /// <summary>Reads (one store round trip each) since the last <see cref="Reset"/>.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Candles those reads returned.</summary>
    public long CandlesRead => Interlocked.Read(ref _candles);

    public void Reset()
    {
        Interlocked.Exchange(ref _reads, 0);
        Interlocked.Exchange(ref _candles, 0);
    }

    public override async Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default) => Count(await Inner.GetRangeAsync(series, from, to, cancellationToken));

    public override async Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default) =>
        Count(await Inner.GetLatestAsync(series, count, cancellationToken));

    public override async Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, DateTimeOffset upTo,
        CancellationToken cancellationToken = default) => Count(await Inner.GetLatestAsync(series, count, upTo, cancellationToken));

    IReadOnlyList<Candle> Count(IReadOnlyList<Candle> candles)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _candles, candles.Count);
        return candles;
    }
}
