using Microsoft.Extensions.DependencyInjection.Extensions;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>One entry of a rolling window: a time (Unix seconds, the candle's open time) and an encoded value.</summary>
public readonly record struct WindowEntry(long Time, byte[] Value);

/// <summary>
/// The monitor's shared state: rolling windows keyed by time (one entry per time; writing a time again replaces it, so a
/// redelivered message changes nothing), small state hashes, and a lock per series. In Redis every Monitor instance, and
/// a restarted one, sees the same windows.
/// </summary>
public interface IMonitorStore
{
    /// <summary>Adds or replaces entries by time, then keeps only the newest <paramref name="capacity"/>.</summary>
    Task AppendAsync(string window, IReadOnlyList<WindowEntry> entries, int capacity, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> entries, oldest first.</summary>
    Task<IReadOnlyList<WindowEntry>> ReadAsync(string window, int count, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, string>> ReadStateAsync(string key, CancellationToken cancellationToken = default);

    Task WriteStateAsync(string key, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken = default);

    /// <summary>A lease-bound lock, or null when another holder has it.</summary>
    Task<IAsyncDisposable?> TryLockAsync(string key, TimeSpan lease, CancellationToken cancellationToken = default);
}

/// <summary>
/// Redis layout under the prefix: <c>monitor:{window}</c> sorted sets (score = time, member = encoded value),
/// <c>monitor:{key}</c> hashes for state, <c>monitor:{key}:lock</c> strings. Everything expires after
/// <see cref="Lifetime"/> without writes, so an abandoned series cleans itself up.
/// </summary>
public sealed class RedisMonitorStore(IConnectionMultiplexer redis, RedisKeys keys) : IMonitorStore
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    const string AppendScript = """
        for i = 3, #ARGV, 2 do
          redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
          redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        local n = redis.call('ZCARD', KEYS[1])
        local keep = tonumber(ARGV[1])
        if n > keep then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1) end
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return n
        """;

    const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    IDatabase Db => redis.GetDatabase();

    RedisKey Key(string name) => keys.For("monitor", name);

    public async Task AppendAsync(string window, IReadOnlyList<WindowEntry> entries, int capacity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        // Bounded scripts: a backfill of thousands of entries goes in slices.
        foreach (var slice in entries.Chunk(500))
        {
            var args = new RedisValue[2 + 2 * slice.Length];
            args[0] = capacity;
            args[1] = (long)Lifetime.TotalSeconds;
            for (var i = 0; i < slice.Length; i++)
            {
                args[2 + 2 * i] = slice[i].Time;
                args[3 + 2 * i] = slice[i].Value;
            }

            await Db.ScriptEvaluateAsync(AppendScript, [Key(window)], args).WaitAsync(cancellationToken);
        }
    }

    public async Task<IReadOnlyList<WindowEntry>> ReadAsync(string window, int count, CancellationToken cancellationToken = default)
    {
        var entries = await Db.SortedSetRangeByRankWithScoresAsync(Key(window), -count, -1).WaitAsync(cancellationToken);
        return entries.Select(e => new WindowEntry((long)e.Score, (byte[])e.Element!)).ToList();
    }

    public async Task<IReadOnlyDictionary<string, string>> ReadStateAsync(string key, CancellationToken cancellationToken = default)
    {
        var fields = await Db.HashGetAllAsync(Key(key)).WaitAsync(cancellationToken);
        return fields.ToDictionary(f => f.Name.ToString(), f => f.Value.ToString());
    }

    public async Task WriteStateAsync(string key, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0)
            return;
        var batch = Db.CreateBatch();
        var set = batch.HashSetAsync(Key(key), fields.Select(f => new HashEntry(f.Key, f.Value)).ToArray());
        var expire = batch.KeyExpireAsync(Key(key), Lifetime);
        batch.Execute();
        await Task.WhenAll(set, expire).WaitAsync(cancellationToken);
    }

    public async Task<IAsyncDisposable?> TryLockAsync(string key, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var token = Guid.NewGuid().ToString("N");
        var lockKey = keys.For("monitor", key, "lock");
        if (!await Db.StringSetAsync(lockKey, token, lease, When.NotExists).WaitAsync(cancellationToken))
            return null;
        return new Release(() => Db.ScriptEvaluateAsync(ReleaseScript, [lockKey], [token]));
    }

    sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}

/// <summary>The monitor state of one process (the embedded fleet and unit tests).</summary>
public sealed class InMemoryMonitorStore(TimeProvider time) : IMonitorStore
{
    readonly Lock _gate = new();
    readonly Dictionary<string, SortedDictionary<long, byte[]>> _windows = [];
    readonly Dictionary<string, Dictionary<string, string>> _states = [];
    readonly Dictionary<string, (string Token, DateTimeOffset Until)> _locks = [];

    public Task AppendAsync(string window, IReadOnlyList<WindowEntry> entries, int capacity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_gate)
        {
            if (!_windows.TryGetValue(window, out var w))
                _windows[window] = w = [];
            foreach (var e in entries)
                w[e.Time] = e.Value.ToArray();
            while (w.Count > capacity)
                w.Remove(w.Keys.First());
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WindowEntry>> ReadAsync(string window, int count, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<WindowEntry> result = _windows.TryGetValue(window, out var w)
                ? w.Skip(Math.Max(0, w.Count - count)).Select(e => new WindowEntry(e.Key, e.Value.ToArray())).ToList()
                : [];
            return Task.FromResult(result);
        }
    }

    public Task<IReadOnlyDictionary<string, string>> ReadStateAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyDictionary<string, string> result = _states.TryGetValue(key, out var s) ? new Dictionary<string, string>(s) : [];
            return Task.FromResult(result);
        }
    }

    public Task WriteStateAsync(string key, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fields);
        lock (_gate)
        {
            if (!_states.TryGetValue(key, out var s))
                _states[key] = s = [];
            foreach (var (k, v) in fields)
                s[k] = v;
        }

        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable?> TryLockAsync(string key, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var token = Guid.NewGuid().ToString("N");
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_locks.TryGetValue(key, out var held) && held.Until > now)
                return Task.FromResult<IAsyncDisposable?>(null);
            _locks[key] = (token, now + lease);
        }

        return Task.FromResult<IAsyncDisposable?>(new Release(this, key, token));
    }

    sealed class Release(InMemoryMonitorStore store, string key, string token) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (store._gate)
            {
                if (store._locks.TryGetValue(key, out var held) && held.Token == token)
                    store._locks.Remove(key);
            }

            return ValueTask.CompletedTask;
        }
    }
}

public static class MonitorStoreRegistration
{
    /// <summary>The Redis monitor state when Redis is configured (shared by every instance), else in-memory.</summary>
    public static IHostApplicationBuilder AddMonitorStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IMonitorStore, RedisMonitorStore>();
        else
        {
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.TryAddSingleton<IMonitorStore, InMemoryMonitorStore>();
        }

        return builder;
    }
}
