using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

public sealed class RedisMessageLedger(IConnectionMultiplexer redis, RedisKeys keys) : IMessageLedger
{
    /// <summary>Longer than any redelivery or replay window we expect from a broker.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public async Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().KeyExistsAsync(keys.For("done", consumer, messageKey)).WaitAsync(cancellationToken);

    public Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(keys.For("done", consumer, messageKey), 1, Lifetime).WaitAsync(cancellationToken);
}
