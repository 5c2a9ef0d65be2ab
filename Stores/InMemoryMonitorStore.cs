namespace NeuralTrade.Events.Stores;

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
