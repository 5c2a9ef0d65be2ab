namespace NeuralTrade.Events.Stores;

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

    /// <summary>The plan recorded for <paramref name="commandKey"/>, or null where none was.</summary>
    Task<string?> GetPlanAsync(string commandKey, CancellationToken cancellationToken = default);
}
