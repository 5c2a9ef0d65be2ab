using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>
/// Key <c>{prefix}:inference:latest:{exchange}:{symbol}:{interval}</c>, the prediction's JSON (the public contract), TTL
/// one interval. A read for another asOf or model (most requests that carry their own candles) reads only those two
/// members of the stored JSON, not the whole prediction, straight from Redis's bytes.
/// </summary>
public sealed class RedisPredictionCache(IConnectionMultiplexer redis, RedisKeys keys) : IPredictionCache
{
    public async Task<PredictionCompleted?> GetAsync(SeriesKey series, DateTimeOffset asOf, ModelRef model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var value = await redis.GetDatabase().StringGetLeaseAsync(keys.For("inference", "latest", series.ToString())).WaitAsync(cancellationToken);
        if (value is null)
            return null;
        var probe = JsonSerializer.Deserialize<Probe>(value.Span, ContractJson.Options);
        return probe is not null && probe.AsOf == asOf && probe.Model == model
            ? JsonSerializer.Deserialize<PredictionCompleted>(value.Span, ContractJson.Options)
            : null;
    }

    /// <summary>What decides a hit; every other member of the stored prediction is skipped unread.</summary>
    sealed record Probe(DateTimeOffset AsOf, ModelRef? Model);

    public Task SetAsync(SeriesKey series, PredictionCompleted prediction, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(keys.For("inference", "latest", series.ToString()), JsonSerializer.Serialize(prediction, ContractJson.Options), ttl)
            .WaitAsync(cancellationToken);
}
