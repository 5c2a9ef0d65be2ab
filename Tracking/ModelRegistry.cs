using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using StackExchange.Redis;

namespace NeuralTrade.Events.Tracking;

/// <summary>A registered version of a model: what Registry promotes and every Inference instance loads.</summary>
public sealed record RegisteredVersion(string ModelName, int Version, string RunId, ArtifactRef Artifact, IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset RegisteredAt, string Registry)
{
    /// <summary>Where the version is registered: <c>mlflow</c> (the version is MLflow's) or <c>local</c>.</summary>
    public const string Mlflow = "mlflow", Local = "local";
}

/// <summary>
/// The fleet's registry state, shared by every Registry and Inference instance: versions per model, the champion of
/// each model, and the champions before it (for rollback). Writers hold the model's decision lock, so a decision
/// is read-modify-write without interleaving; readers need no lock.
/// </summary>
public interface IModelRegistryStore
{
    /// <summary>The model's decision lock, or null while another decision holds it. Dispose to release.</summary>
    Task<IAsyncDisposable?> TryLockAsync(string modelName, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Adds a version; a run registered before returns its existing version (idempotent by run id).
    /// <paramref name="version"/>.Version 0 asks for the next free number.</summary>
    Task<RegisteredVersion> AddVersionAsync(RegisteredVersion version, CancellationToken cancellationToken = default);

    Task<RegisteredVersion?> GetVersionAsync(string modelName, int version, CancellationToken cancellationToken = default);

    Task<RegisteredVersion?> FindByRunAsync(string modelName, string runId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<RegisteredVersion>> ListVersionsAsync(string modelName, CancellationToken cancellationToken = default);

    Task<RegisteredVersion?> GetChampionAsync(string modelName, CancellationToken cancellationToken = default);

    /// <summary>The champion of every model.</summary>
    Task<IReadOnlyList<RegisteredVersion>> GetChampionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Makes <paramref name="version"/> the champion, remembering the current one for rollback; a no-op when it already is.
    /// Returns the version it replaced.</summary>
    Task<int?> PromoteAsync(string modelName, int version, CancellationToken cancellationToken = default);

    /// <summary>The champion a rollback would return to.</summary>
    Task<int?> PreviousChampionAsync(string modelName, CancellationToken cancellationToken = default);

    /// <summary>Returns to the previous champion if the champion is still <paramref name="expectedCurrent"/>; true when it did.</summary>
    Task<bool> RollbackAsync(string modelName, int expectedCurrent, CancellationToken cancellationToken = default);

    /// <summary>Records what a command decided the first time it ran and returns that record on every later run,
    /// so that a redelivered command repeats its first decision instead of deciding again.</summary>
    Task<string> GetOrAddPlanAsync(string commandKey, string plan, CancellationToken cancellationToken = default);
}

/// <summary>
/// Redis layout under the prefix: <c>registry:model:{name}:versions</c> (hash version → JSON),
/// <c>…:runs</c> (hash run id → version), <c>…:seq</c>, <c>…:history</c> (list of earlier champions, newest first),
/// <c>…:lock</c>, and <c>registry:champions</c> (hash model name → champion version JSON).
/// </summary>
public sealed class RedisModelRegistryStore(IConnectionMultiplexer redis, RedisKeys keys) : IModelRegistryStore
{
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
        if (await FindByRunAsync(version.ModelName, version.RunId, cancellationToken) is { } existing)
            return existing;
        var number = version.Version;
        if (number <= 0)
            number = (int)await Db.StringIncrementAsync(Key(version.ModelName, "seq")).WaitAsync(cancellationToken);
        else
            await Db.ScriptEvaluateAsync("local c = tonumber(redis.call('GET', KEYS[1]) or '0') if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end",
                [Key(version.ModelName, "seq")], [number]).WaitAsync(cancellationToken);
        var stored = version with { Version = number };
        await Db.HashSetAsync(Key(version.ModelName, "versions"), number, JsonSerializer.Serialize(stored, ContractJson.Options)).WaitAsync(cancellationToken);
        await Db.HashSetAsync(Key(version.ModelName, "runs"), version.RunId, number).WaitAsync(cancellationToken);
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
        var transaction = Db.CreateTransaction();
        if (current is not null)
            _ = transaction.ListLeftPushAsync(Key(modelName, "history"), current.Version);
        _ = transaction.HashSetAsync(Champions, modelName, JsonSerializer.Serialize(target, ContractJson.Options));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
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
        var transaction = Db.CreateTransaction();
        _ = transaction.ListLeftPopAsync(Key(modelName, "history"));
        _ = transaction.HashSetAsync(Champions, modelName, JsonSerializer.Serialize(target, ContractJson.Options));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        return true;
    }

    public async Task<string> GetOrAddPlanAsync(string commandKey, string plan, CancellationToken cancellationToken = default)
    {
        var key = keys.For("registry", "plan", commandKey);
        await Db.StringSetAsync(key, plan, MessageLedgerLifetime, When.NotExists).WaitAsync(cancellationToken);
        return (await Db.StringGetAsync(key).WaitAsync(cancellationToken)).ToString();
    }

    static readonly TimeSpan MessageLedgerLifetime = RedisMessageLedger.Lifetime;

    static RegisteredVersion? Read(RedisValue value) =>
        value.HasValue ? JsonSerializer.Deserialize<RegisteredVersion>(value.ToString(), ContractJson.Options) : null;

    sealed class Release(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }
}

/// <summary>The registry state of one process (the embedded fleet and unit tests).</summary>
public sealed class InMemoryModelRegistryStore : IModelRegistryStore
{
    readonly Lock _gate = new();
    readonly Dictionary<string, SortedDictionary<int, RegisteredVersion>> _versions = [];
    readonly Dictionary<string, RegisteredVersion> _champions = [];
    readonly Dictionary<string, Stack<int>> _history = [];
    readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public async Task<IAsyncDisposable?> TryLockAsync(string modelName, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var semaphore = _locks.GetOrAdd(modelName, _ => new SemaphoreSlim(1, 1));
        return await semaphore.WaitAsync(0, cancellationToken) ? new Release(semaphore) : null;
    }

    public Task<RegisteredVersion> AddVersionAsync(RegisteredVersion version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        lock (_gate)
        {
            var versions = Versions(version.ModelName);
            if (versions.Values.FirstOrDefault(v => v.RunId == version.RunId) is { } existing)
                return Task.FromResult(existing);
            var stored = version with { Version = version.Version > 0 ? version.Version : versions.Keys.DefaultIfEmpty(0).Max() + 1 };
            versions[stored.Version] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<RegisteredVersion?> GetVersionAsync(string modelName, int version, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(Versions(modelName).GetValueOrDefault(version));
    }

    public Task<RegisteredVersion?> FindByRunAsync(string modelName, string runId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(Versions(modelName).Values.FirstOrDefault(v => v.RunId == runId));
    }

    public Task<IReadOnlyList<RegisteredVersion>> ListVersionsAsync(string modelName, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<RegisteredVersion>>([.. Versions(modelName).Values]);
    }

    public Task<RegisteredVersion?> GetChampionAsync(string modelName, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(_champions.GetValueOrDefault(modelName));
    }

    public Task<IReadOnlyList<RegisteredVersion>> GetChampionsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<RegisteredVersion>>([.. _champions.Values.OrderBy(v => v.ModelName)]);
    }

    public Task<int?> PromoteAsync(string modelName, int version, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var target = Versions(modelName).GetValueOrDefault(version) ?? throw new InvalidOperationException($"{modelName} has no version {version}");
            var history = History(modelName);
            if (_champions.TryGetValue(modelName, out var current) && current.Version == version)
                return Task.FromResult<int?>(history.Count > 0 ? history.Peek() : null);
            if (current is not null)
                history.Push(current.Version);
            _champions[modelName] = target;
            return Task.FromResult(current?.Version);
        }
    }

    public Task<int?> PreviousChampionAsync(string modelName, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<int?>(History(modelName).TryPeek(out var v) ? v : null);
    }

    public Task<bool> RollbackAsync(string modelName, int expectedCurrent, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var history = History(modelName);
            if (!_champions.TryGetValue(modelName, out var current) || current.Version != expectedCurrent || history.Count == 0)
                return Task.FromResult(false);
            _champions[modelName] = Versions(modelName)[history.Pop()];
            return Task.FromResult(true);
        }
    }

    readonly ConcurrentDictionary<string, string> _plans = new(StringComparer.Ordinal);

    public Task<string> GetOrAddPlanAsync(string commandKey, string plan, CancellationToken cancellationToken = default) =>
        Task.FromResult(_plans.GetOrAdd(commandKey, plan));

    SortedDictionary<int, RegisteredVersion> Versions(string model) =>
        _versions.TryGetValue(model, out var v) ? v : _versions[model] = [];

    Stack<int> History(string model) => _history.TryGetValue(model, out var h) ? h : _history[model] = new Stack<int>();

    sealed class Release(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            semaphore.Release();
            return ValueTask.CompletedTask;
        }
    }
}

public static class ModelRegistryRegistration
{
    /// <summary>The Redis registry state when Redis is configured (shared by every instance), else in-memory.</summary>
    public static IHostApplicationBuilder AddModelRegistryStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IModelRegistryStore, RedisModelRegistryStore>();
        else
            builder.Services.TryAddSingleton<IModelRegistryStore, InMemoryModelRegistryStore>();
        return builder;
    }
}
