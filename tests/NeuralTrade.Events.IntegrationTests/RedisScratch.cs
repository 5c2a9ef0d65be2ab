using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The real Redis under a key prefix of one test's own; disposing removes its keys and the connection.</summary>
public sealed class RedisScratch : IAsyncDisposable
{
    RedisScratch(IConnectionMultiplexer redis, string prefix)
    {
        Redis = redis;
        Keys = new RedisKeys(prefix);
    }

    public IConnectionMultiplexer Redis { get; }
    public RedisKeys Keys { get; }

    public static async Task<RedisScratch> CreateAsync() =>
        new(await Services.ConnectRedisAsync(), $"nt-test-{Guid.NewGuid():N}"[..18]);

    public async ValueTask DisposeAsync()
    {
        var keys = Redis.GetServers().First().Keys(pattern: $"{Keys.Prefix}:*").ToArray();
        if (keys.Length > 0)
            await Redis.GetDatabase().KeyDeleteAsync(keys);
        await Redis.DisposeAsync();
    }
}
