using System.Collections.Concurrent;

namespace NeuralTrade.Events.Stores;

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

    public Task<string?> GetPlanAsync(string commandKey, CancellationToken cancellationToken = default) =>
        Task.FromResult(_plans.TryGetValue(commandKey, out var plan) ? plan : null);

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
