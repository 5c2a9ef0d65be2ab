using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>The ledger of completed messages; a completion is held by the replicas <see cref="RedisReplication"/> asks for before it returns.</summary>
public sealed class RedisMessageLedger(IConnectionMultiplexer redis, RedisKeys keys, RedisReplication? replication = null) : IMessageLedger
{
    /// <summary>Longer than any redelivery or replay window we expect from a broker.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public async Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default)
    {
        var key = keys.For("done", consumer, messageKey);
        if (replication is null)
            return await redis.GetDatabase().KeyExistsAsync(key).WaitAsync(cancellationToken);
        // A message found done is acknowledged again: its mark is rewritten (same value, same expiry) so that the WAIT
        // after it covers it, whichever connection wrote it first (WAIT waits for this connection's newest write, and
        // replicas apply the primary's writes in order).
        var epoch = replication.Epoch;
        if (!await redis.GetDatabase().KeyExpireAsync(key, Lifetime, ExpireWhen.HasExpiry).WaitAsync(cancellationToken))
            return false;
        await replication.AwaitReplicasAsync(epoch, cancellationToken);
        return true;
    }

    public async Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default)
    {
        var epoch = replication?.Epoch ?? 0;
        await redis.GetDatabase().StringSetAsync(keys.For("done", consumer, messageKey), 1, Lifetime).WaitAsync(cancellationToken);
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
    }
}
