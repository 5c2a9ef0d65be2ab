using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

/// <summary>Candles per series, ordered by openTime. Appends are atomic per call and safe across instances.</summary>
public interface ICandleStore
{
    /// <summary>
    /// Stores the candles of one series (sorted by openTime) that are not stored yet and says, per candle,
    /// what happened. With a <paramref name="receipt"/>, a second call with the same receipt changes
    /// nothing and returns the first call's answer, so a redelivered message is reported as it was. The answer also
    /// names the newest openTime stored before the append, read atomically with it (Ingest finds gaps from it).
    /// </summary>
    Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
        CancellationToken cancellationToken = default);

    Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default);

    /// <summary>Candles with <paramref name="from"/> ≤ openTime ≤ <paramref name="to"/>, ascending.</summary>
    Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> candles, ascending.</summary>
    Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> candles with openTime ≤ <paramref name="upTo"/>, ascending.</summary>
    Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, DateTimeOffset upTo, CancellationToken cancellationToken = default);

    /// <summary>How many candles have <paramref name="from"/> ≤ openTime ≤ <paramref name="to"/>, counted by the store without reading them.</summary>
    Task<long> CountAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default);
}
