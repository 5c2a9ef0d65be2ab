using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

/// <summary>The latest prediction per series, kept for one interval (after that a newer candle has closed).</summary>
public interface IPredictionCache
{
    /// <summary>The series' latest prediction if it was made for <paramref name="asOf"/> by <paramref name="model"/>; otherwise null.</summary>
    Task<PredictionCompleted?> GetAsync(SeriesKey series, DateTimeOffset asOf, ModelRef model, CancellationToken cancellationToken = default);

    Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default);
}
