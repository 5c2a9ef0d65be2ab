using System.Text.Json;
using NeuralTrade.Events.Contracts;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>
/// Redis layout under the prefix: <c>registry:model:{name}:versions</c> (hash version → JSON),
/// <c>…:runs</c> (hash run id → version), <c>…:seq</c>, <c>…:history</c> (list of earlier champions, newest first),
/// <c>…:lock</c>, and <c>registry:champions</c> (hash model name → champion version JSON).
/// </summary>
public sealed class RedisModelRegistryStore(IConnectionMultiplexer redis, RedisKeys keys, RedisReplication? replication = null) : IModelRegistryStore
{
    /// <summary>Returns once the replicas <see cref="RedisReplication"/> asks for hold the registry's writes since <paramref name="epoch"/>.</summary>
    async Task ReplicatedAsync(long epoch, CancellationToken cancellationToken)
    {
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
    }

    long Epoch => replication?.Epoch ?? 0;

    const string ReleaseScript = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    IDatabase Db => redis.GetDatabase();
    RedisKey Key(string model, string suffix) => keys.For("registry", "model:" + model, suffix);
    RedisKey Champions => keys.For("registry", "champions");

    public async Task<IAsyncDisposable?> TryLockAsync(string modelName, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var token = Guid.NewGuid().ToString("N");
        var key = Key(modelName, "lock");
        if (!await Db.StringSetAsync(key, token, lease, When.NotExists).WaitAsync(cancellationToken))
            return null;
        return new Release(() => Db.ScriptEvaluateAsync(ReleaseScript, [key], [token]));
    }

    public async Task<RegisteredVersion> AddVersionAsync(RegisteredVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        var epoch = Epoch;
        if (await FindByRunAsync(version.ModelName, version.RunId, cancellationToken) is { } existing)
        {
            // Registered by an earlier attempt, which may have failed its WAIT: rewrite the run's entry (the same value)
            // so that the WAIT covers the version before this attempt goes on.
            if (replication is not null)
            {
                await Db.HashSetAsync(Key(version.ModelName, "runs"), version.RunId, existing.Version).WaitAsync(cancellationToken);
                await ReplicatedAsync(epoch, cancellationToken);
            }

            return existing;
        }
        var number = version.Version;
        if (number <= 0)
            number = (int)await Db.StringIncrementAsync(Key(version.ModelName, "seq")).WaitAsync(cancellationToken);
        else
            await Db.ScriptEvaluateAsync("local c = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end",
                [Key(version.ModelName, "seq")], [number]).WaitAsync(cancellationToken);
        var stored = version with { Version = number };
        await Db.HashSetAsync(Key(version.ModelName, "versions"), number, JsonSerializer.Serialize(stored, ContractJson.Options)).WaitAsync(cancellationToken);
        await Db.HashSetAsync(Key(version.ModelName, "runs"), version.RunId, number).WaitAsync(cancellationToken);
        await ReplicatedAsync(epoch, cancellationToken);
        return stored;
    }

    public async Task<RegisteredVersion?> GetVersionAsync(string modelName, int version, CancellationToken cancellationToken = default) =>
        Read(await Db.HashGetAsync(Key(modelName, "versions"), version).WaitAsync(cancellationToken));

    public async Task<RegisteredVersion?> FindByRunAsync(string modelName, string runId, CancellationToken cancellationToken = default)
    {
        var version = await Db.HashGetAsync(Key(modelName, "runs"), runId).WaitAsync(cancellationToken);
        return version.HasValue ? await GetVersionAsync(modelName, (int)version, cancellationToken) : null;
    }

    public async Task<IReadOnlyList<RegisteredVersion>> ListVersionsAsync(string modelName, CancellationToken cancellationToken = default) =>
        (await Db.HashValuesAsync(Key(modelName, "versions")).WaitAsync(cancellationToken)).Select(Read).OfType<RegisteredVersion>()
            .OrderBy(v => v.Version).ToList();

    public async Task<RegisteredVersion?> GetChampionAsync(string modelName, CancellationToken cancellationToken = default) =>
        Read(await Db.HashGetAsync(Champions, modelName).WaitAsync(cancellationToken));

    public async Task<IReadOnlyList<RegisteredVersion>> GetChampionsAsync(CancellationToken cancellationToken = default) =>
        (await Db.HashValuesAsync(Champions).WaitAsync(cancellationToken)).Select(Read).OfType<RegisteredVersion>().OrderBy(v => v.ModelName).ToList();

    public async Task<int?> PromoteAsync(string modelName, int version, CancellationToken cancellationToken = default)
    {
        var target = await GetVersionAsync(modelName, version, cancellationToken)
            ?? throw new InvalidOperationException($"{modelName} has no version {version}");
        var current = await GetChampionAsync(modelName, cancellationToken);
        if (current?.Version == version)
            return await PreviousChampionAsync(modelName, cancellationToken);
        var epoch = Epoch;
        var transaction = Db.CreateTransaction();
        if (current is not null)
            _ = transaction.ListLeftPushAsync(Key(modelName, "history"), current.Version);
        _ = transaction.HashSetAsync(Champions, modelName, JsonSerializer.Serialize(target, ContractJson.Options));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        await ReplicatedAsync(epoch, cancellationToken);
        return current?.Version;
    }

    public async Task<int?> PreviousChampionAsync(string modelName, CancellationToken cancellationToken = default)
    {
        var top = await Db.ListGetByIndexAsync(Key(modelName, "history"), 0).WaitAsync(cancellationToken);
        return top.HasValue ? (int)top : null;
    }

    public async Task<bool> RollbackAsync(string modelName, int expectedCurrent, CancellationToken cancellationToken = default)
    {
        if ((await GetChampionAsync(modelName, cancellationToken))?.Version != expectedCurrent)
            return false;
        if (await PreviousChampionAsync(modelName, cancellationToken) is not { } previous
            || await GetVersionAsync(modelName, previous, cancellationToken) is not { } target)
            return false;
        var epoch = Epoch;
        var transaction = Db.CreateTransaction();
        _ = transaction.ListLeftPopAsync(Key(modelName, "history"));
        _ = transaction.HashSetAsync(Champions, modelName, JsonSerializer.Serialize(target, ContractJson.Options));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        await ReplicatedAsync(epoch, cancellationToken);
        return true;
    }

    public async Task<string> GetOrAddPlanAsync(string commandKey, string plan, CancellationToken cancellationToken = default)
    {
        var key = keys.For("registry", "plan", commandKey);
        var epoch = Epoch;
        // Always a write (the expiry is renewed when the plan exists), so that the WAIT covers the plan however it got there.
        if (!await Db.StringSetAsync(key, plan, MessageLedgerLifetime, When.NotExists).WaitAsync(cancellationToken) && replication is not null)
            await Db.KeyExpireAsync(key, MessageLedgerLifetime).WaitAsync(cancellationToken);
        await ReplicatedAsync(epoch, cancellationToken);
        return (await Db.StringGetAsync(key).WaitAsync(cancellationToken)).ToString();
    }

    public async Task<string?> GetPlanAsync(string commandKey, CancellationToken cancellationToken = default) =>
        (await Db.StringGetAsync(keys.For("registry", "plan", commandKey)).WaitAsync(cancellationToken)) is { HasValue: true } value ? value.ToString() : null;

    static readonly TimeSpan MessageLedgerLifetime = RedisMessageLedger.Lifetime;

    static RegisteredVersion? Read(RedisValue value) =>
        value.HasValue ? JsonSerializer.Deserialize<RegisteredVersion>(value.ToString(), ContractJson.Options) : null;

    sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}
