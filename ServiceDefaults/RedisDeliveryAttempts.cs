using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Hosting;

/// <summary>
/// The poison-message count in Redis, where it survives the crash it exists to count: one key per queue and message
/// (<c>{prefix}:attempts:{queue}:{message key}</c>), incremented and given a day to live in one round trip.
/// </summary>
public sealed class RedisDeliveryAttempts(IConnectionMultiplexer redis, RedisKeys keys) : IDeliveryAttempts
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    public async Task<long> StartAsync(string queue, string messageKey, CancellationToken cancellationToken)
    {
        var key = keys.For("attempts", queue, messageKey);
        var transaction = redis.GetDatabase().CreateTransaction();
        var count = transaction.StringIncrementAsync(key);
        _ = transaction.KeyExpireAsync(key, Lifetime);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await count.ConfigureAwait(false);
    }
}
