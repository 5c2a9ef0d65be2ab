namespace NeuralTrade.Events.Stores;

/// <summary>
/// The shared state of hyperparameter searches (one per search request): the search as planned, the metric each trial
/// reached at each early-stopping rung, and each trial's outcome. Every write is idempotent, so a trial retried after
/// its trainer died, or a trial message delivered twice, records once.
/// </summary>
public interface ISearchStore
{
    /// <summary>Stores the search's state once; false when it was stored already (the first state stays).</summary>
    Task<bool> CreateAsync(Guid searchId, string stateJson, CancellationToken cancellationToken = default);

    Task<string?> GetStateAsync(Guid searchId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records <paramref name="metric"/> for trial <paramref name="trial"/> at rung <paramref name="rung"/> and returns the
    /// metrics recorded there before it, atomically. A trial already recorded there (a retry) keeps its first record and
    /// gets the same answer as then. Synchronous: it is called from the training thread between epochs.
    /// </summary>
    IReadOnlyList<double> RecordAtRung(Guid searchId, int rung, int trial, double metric);

    /// <summary>Stores a trial's outcome once and returns how many trials have an outcome now.</summary>
    Task<int> RecordTrialAsync(Guid searchId, int trial, string outcomeJson, CancellationToken cancellationToken = default);

    /// <summary>The outcomes recorded so far, by trial index.</summary>
    Task<IReadOnlyDictionary<int, string>> GetTrialsAsync(Guid searchId, CancellationToken cancellationToken = default);
}
