using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

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
