using System.Collections.Concurrent;

namespace NeuralTrade.Events.Stores;

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
