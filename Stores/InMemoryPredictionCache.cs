using System.Collections.Concurrent;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

public sealed class InMemoryPredictionCache(TimeProvider time) : IPredictionCache
{
    readonly ConcurrentDictionary<SeriesKey, (PredictionCompleted Prediction, DateTimeOffset Expires)> _entries = new();

    public Task<PredictionCompleted?> GetAsync(SeriesKey series, DateTimeOffset asOf, ModelRef model, CancellationToken cancellationToken = default) =>
        Task.FromResult(_entries.TryGetValue(series, out var e) && e.Expires > time.GetUtcNow() && e.Prediction.AsOf == asOf && e.Prediction.Model == model
            ? e.Prediction
            : null);

    public Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        _entries[series] = (prediction, time.GetUtcNow() + ttl);
        return Task.CompletedTask;
    }
}
