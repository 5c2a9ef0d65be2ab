using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using System.Collections.Concurrent;
using StackExchange.Redis;

namespace NeuralTrade.Events.Hosting;

/// <summary>
/// Remembers which messages a consumer has finished, so that a redelivered or duplicated message is
/// acknowledged without doing its work (and announcing it) a second time.
/// </summary>
public interface IMessageLedger
{
    Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default);

    Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default);
}

public sealed class RedisMessageLedger(IConnectionMultiplexer redis, RedisKeys keys) : IMessageLedger
{
    /// <summary>Longer than any redelivery or replay window we expect from a broker.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public async Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        await redis.GetDatabase().KeyExistsAsync(keys.For("done", consumer, messageKey)).WaitAsync(cancellationToken);

    public Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StringSetAsync(keys.For("done", consumer, messageKey), 1, Lifetime).WaitAsync(cancellationToken);
}

public sealed class InMemoryMessageLedger(TimeProvider time) : IMessageLedger
{
    readonly ConcurrentDictionary<string, DateTimeOffset> _completed = new(StringComparer.Ordinal);

    public Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(_completed.TryGetValue($"{consumer}:{messageKey}", out var until) && until > time.GetUtcNow());

    public Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        _completed[$"{consumer}:{messageKey}"] = now + RedisMessageLedger.Lifetime;
        if (_completed.Count > 100_000)
        {
            foreach (var expired in _completed.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList())
                _completed.TryRemove(expired, out _);
        }

        return Task.CompletedTask;
    }
}

public static class MessageLedgerRegistration
{
    /// <summary>The Redis ledger when Redis is configured (shared by instances, survives restarts), else in-memory.</summary>
    public static IHostApplicationBuilder AddMessageLedger(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IMessageLedger, RedisMessageLedger>();
        else
            builder.Services.TryAddSingleton<IMessageLedger, InMemoryMessageLedger>();
        return builder;
    }
}
