using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>The ledger of completed messages; a completion is held by the replicas <see cref="RedisReplication"/> asks for before it returns.</summary>
public sealed class RedisMessageLedger(IConnectionMultiplexer redis, RedisKeys keys, RedisReplication? replication = null) : IMessageLedger
{
    /// <summary>Longer than any redelivery or replay window we expect from a broker.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public async Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().KeyExistsAsync(keys.For("done", consumer, messageKey)).WaitAsync(cancellationToken);

    public async Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default)
    {
        await redis.GetDatabase().StringSetAsync(keys.For("done", consumer, messageKey), 1, Lifetime).WaitAsync(cancellationToken);
        if (replication is not null)
            await replication.AwaitReplicasAsync(cancellationToken);
    }
}
