using System.Collections.Concurrent;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using StackExchange.Redis;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>The latest prediction per series, kept for one interval (after that a newer candle has closed).</summary>
public interface IPredictionCache
{
    Task<PredictionCompleted?> GetAsync(SeriesKey series, CancellationToken cancellationToken = default);

    Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default);
}

/// <summary>Key <c>{prefix}:inference:latest:{exchange}:{symbol}:{interval}</c>, the prediction's JSON, TTL one interval.</summary>
public sealed class RedisPredictionCache(IConnectionMultiplexer redis, RedisKeys keys) : IPredictionCache
{
    public async Task<PredictionCompleted?> GetAsync(SeriesKey series, CancellationToken cancellationToken = default)
    {
        var value = await redis.GetDatabase().StringGetAsync(keys.For("inference", "latest", series.ToString())).WaitAsync(cancellationToken);
        return value.HasValue ? JsonSerializer.Deserialize<PredictionCompleted>(value.ToString(), ContractJson.Options) : null;
    }

    public Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(keys.For("inference", "latest", series.ToString()), JsonSerializer.Serialize(prediction, ContractJson.Options), ttl)
            .WaitAsync(cancellationToken);
}

public sealed class InMemoryPredictionCache(TimeProvider time) : IPredictionCache
{
    readonly ConcurrentDictionary<SeriesKey, (PredictionCompleted Prediction, DateTimeOffset Expires)> _entries = new();

    public Task<PredictionCompleted?> GetAsync(SeriesKey series, CancellationToken cancellationToken = default) =>
        Task.FromResult(_entries.TryGetValue(series, out var e) && e.Expires > time.GetUtcNow() ? e.Prediction : null);

    public Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        _entries[series] = (prediction, time.GetUtcNow() + ttl);
        return Task.CompletedTask;
    }
}
