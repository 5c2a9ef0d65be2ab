namespace NeuralTrade.Events.Stores;

/// <summary>The same semantics in process memory, for the embedded one-process fleet and unit tests.</summary>
public sealed class InMemorySearchStore : ISearchStore
{
    readonly Lock _gate = new();
    readonly Dictionary<Guid, string> _states = [];
    readonly Dictionary<(Guid, int), List<(int Trial, double Metric)>> _rungs = [];
    readonly Dictionary<Guid, Dictionary<int, string>> _trials = [];

    public Task<bool> CreateAsync(Guid searchId, string stateJson, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(_states.TryAdd(searchId, stateJson));
    }

    public Task<string?> GetStateAsync(Guid searchId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(_states.GetValueOrDefault(searchId));
    }

    public IReadOnlyList<double> RecordAtRung(Guid searchId, int rung, int trial, double metric)
    {
        lock (_gate)
        {
            if (!_rungs.TryGetValue((searchId, rung), out var entries))
                _rungs[(searchId, rung)] = entries = [];
            var at = entries.FindIndex(e => e.Trial == trial);
            if (at >= 0)
                return [.. entries.Take(at).Select(e => e.Metric)];
            var before = entries.Select(e => e.Metric).ToList();
            entries.Add((trial, metric));
            return before;
        }
    }

    public Task<int> RecordTrialAsync(Guid searchId, int trial, string outcomeJson, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_trials.TryGetValue(searchId, out var outcomes))
                _trials[searchId] = outcomes = [];
            outcomes.TryAdd(trial, outcomeJson);
            return Task.FromResult(outcomes.Count);
        }
    }

    public Task<IReadOnlyDictionary<int, string>> GetTrialsAsync(Guid searchId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyDictionary<int, string>>(_trials.TryGetValue(searchId, out var o) ? new Dictionary<int, string>(o) : []);
    }
}
