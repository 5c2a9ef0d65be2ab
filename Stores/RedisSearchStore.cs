using System.Globalization;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>Search state in Redis: <c>{prefix}:training:search:{id}</c> (state), <c>…:trials</c> (hash), <c>…:rung:{r}</c> (list).</summary>
public sealed class RedisSearchStore(IConnectionMultiplexer redis, RedisKeys keys, RedisReplication? replication = null) : ISearchStore
{
    // KEYS[1]: the rung's list of "trial=metric" in arrival order. ARGV: trial, metric (round-trip text).
    const string RungScript = """
        local entries = redis.call('LRANGE', KEYS[1], 0, -1)
        local before = {}
        local prefix = ARGV[1] .. '='
        for _, e in ipairs(entries) do
          if string.sub(e, 1, string.len(prefix)) == prefix then return before end
          local at = string.find(e, '=', 1, true)
          before[#before + 1] = string.sub(e, at + 1)
        end
        redis.call('RPUSH', KEYS[1], prefix .. ARGV[2])
        return before
        """;

    // KEYS[1]: the trials hash. ARGV: trial, outcome.
    const string TrialScript = """
        redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
        return redis.call('HLEN', KEYS[1])
        """;

    IDatabase Db => redis.GetDatabase();
    RedisKey State(Guid id) => keys.For("training", "search:" + id.ToString("N"));
    RedisKey Trials(Guid id) => keys.For("training", "search:" + id.ToString("N"), "trials");
    RedisKey Rung(Guid id, int rung) => keys.For("training", "search:" + id.ToString("N"), "rung:" + rung.ToString(CultureInfo.InvariantCulture));

    public async Task<bool> CreateAsync(Guid searchId, string stateJson, CancellationToken cancellationToken = default)
    {
        var epoch = replication?.Epoch ?? 0;
        var created = await Db.StringSetAsync(State(searchId), stateJson, when: When.NotExists).WaitAsync(cancellationToken);
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
        return created;
    }

    public async Task<string?> GetStateAsync(Guid searchId, CancellationToken cancellationToken = default) =>
        await Db.StringGetAsync(State(searchId)).WaitAsync(cancellationToken);

    public IReadOnlyList<double> RecordAtRung(Guid searchId, int rung, int trial, double metric)
    {
        var result = (RedisResult[])Db.ScriptEvaluate(RungScript, [Rung(searchId, rung)],
            [trial.ToString(CultureInfo.InvariantCulture), metric.ToString("R", CultureInfo.InvariantCulture)])!;
        return [.. result.Select(r => double.Parse((string)r!, NumberStyles.Float, CultureInfo.InvariantCulture))];
    }

    public async Task<int> RecordTrialAsync(Guid searchId, int trial, string outcomeJson, CancellationToken cancellationToken = default)
    {
        var epoch = replication?.Epoch ?? 0;
        var count = (int)await Db.ScriptEvaluateAsync(TrialScript, [Trials(searchId)], [trial.ToString(CultureInfo.InvariantCulture), outcomeJson])
            .WaitAsync(cancellationToken);
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
        return count;
    }

    public async Task<IReadOnlyDictionary<int, string>> GetTrialsAsync(Guid searchId, CancellationToken cancellationToken = default) =>
        (await Db.HashGetAllAsync(Trials(searchId)).WaitAsync(cancellationToken))
        .ToDictionary(e => int.Parse((string)e.Name!, CultureInfo.InvariantCulture), e => (string)e.Value!);
}
