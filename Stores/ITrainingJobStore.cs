namespace NeuralTrade.Events.Stores;

/// <summary>
/// Durable training jobs with leases. A job is claimed by one runner at a time; the runner renews its lease while it
/// works, and a job whose lease expires (its worker died) is claimed again by any runner. Completing or renewing
/// checks the owner, so a runner that lost its lease cannot announce a result twice.
/// </summary>
public interface ITrainingJobStore
{
    /// <summary>Records a new job; false when a job with this request id exists already (a redelivered request).</summary>
    Task<bool> EnqueueAsync(Guid requestId, string requestJson, CancellationToken cancellationToken = default);

    Task<TrainingJob?> TryClaimAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default);

    Task<bool> RenewAsync(Guid requestId, string owner, TimeSpan lease, CancellationToken cancellationToken = default);

    Task ReportProgressAsync(Guid requestId, string owner, string progressJson, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves an owned job to <paramref name="status"/>; with <see cref="JobStatus.Retry"/> it becomes claimable after
    /// <paramref name="retryAfter"/>, and with <see cref="JobStatus.Searching"/> too, to be checked (a claim of a searching
    /// job counts no attempt).
    /// </summary>
    Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default);

    /// <summary>Records the tracking run the current attempt opened (<see cref="TrainingJob.RunId"/>).</summary>
    Task RecordRunAsync(Guid requestId, string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a job waiting in <see cref="JobStatus.Searching"/> claimable at once (pending, its attempts counted afresh): a
    /// search's trials have all ended. False, and nothing changes, when the job is in any other state, so that every
    /// trial that sees the search end may call it.
    /// </summary>
    Task<bool> ResumeAsync(Guid requestId, CancellationToken cancellationToken = default);

    Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default);
}
