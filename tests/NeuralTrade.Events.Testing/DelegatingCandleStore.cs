using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>A store that passes everything to another, for tests that inject faults into one operation.</summary>
public abstract class DelegatingCandleStore(ICandleStore inner) : ICandleStore
{
    protected ICandleStore Inner => inner;

    public virtual Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
        CancellationToken cancellationToken = default) => inner.AppendAsync(series, candles, receipt, cancellationToken);

    public Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default) =>
        inner.GetAsync(series, openTime, cancellationToken);

    public virtual Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default) => inner.GetRangeAsync(series, from, to, cancellationToken);

    public virtual Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default) =>
        inner.GetLatestAsync(series, count, cancellationToken);

    public virtual Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, DateTimeOffset upTo, CancellationToken cancellationToken = default) =>
        inner.GetLatestAsync(series, count, upTo, cancellationToken);

    public Task<long> CountAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default) =>
        inner.CountAsync(series, from, to, cancellationToken);

    public Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default) => inner.ListSeriesAsync(cancellationToken);
}
