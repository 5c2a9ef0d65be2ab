using System.Collections.Concurrent;

namespace NeuralTrade.Events.Stores;

/// <summary>The same semantics in process memory, for the embedded one-process fleet and unit tests.</summary>
public sealed class InMemoryTrainingJobStore(TimeProvider time) : ITrainingJobStore
{
    readonly Lock _gate = new();
    readonly ConcurrentDictionary<Guid, TrainingJob> _jobs = new();
    readonly Queue<Guid> _pending = new();
    readonly Dictionary<Guid, DateTimeOffset> _leases = [];

    public Task<bool> EnqueueAsync(Guid requestId, string requestJson, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryAdd(requestId, new TrainingJob(requestId, requestJson, JobStatus.Pending, 0, null, null, null, null)))
                return Task.FromResult(false);
            _pending.Enqueue(requestId);
            return Task.FromResult(true);
        }
    }

    public Task<TrainingJob?> TryClaimAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            Guid? id = _leases.Where(l => l.Value <= now).OrderBy(l => l.Value).Select(l => (Guid?)l.Key).FirstOrDefault();
            if (id is null && _pending.Count > 0)
                id = _pending.Dequeue();
            if (id is not { } claimed || _jobs[claimed].Status is JobStatus.Completed or JobStatus.Failed)
            {
                if (id is { } done)
                    _leases.Remove(done);
                return Task.FromResult<TrainingJob?>(null);
            }

            var job = _jobs[claimed];
            job = job with
            {
                // A search checked while it waits for its trials is not a new attempt.
                Status = job.Status == JobStatus.Announcing ? JobStatus.Announcing : JobStatus.Running, Owner = owner,
                Attempts = job.Status == JobStatus.Searching ? job.Attempts : job.Attempts + 1,
            };
            _jobs[claimed] = job;
            _leases[claimed] = now + lease;
            return Task.FromResult<TrainingJob?>(job);
        }
    }

    public Task<bool> RenewAsync(Guid requestId, string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(requestId, out var job) || job.Owner != owner || job.Status is not (JobStatus.Running or JobStatus.Announcing))
                return Task.FromResult(false);
            _leases[requestId] = time.GetUtcNow() + lease;
            return Task.FromResult(true);
        }
    }

    public Task ReportProgressAsync(Guid requestId, string owner, string progressJson, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_jobs.TryGetValue(requestId, out var job))
                _jobs[requestId] = job with { ProgressJson = progressJson };
        }

        return Task.CompletedTask;
    }

    public Task RecordRunAsync(Guid requestId, string runId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_jobs.TryGetValue(requestId, out var job))
                _jobs[requestId] = job with { RunId = runId };
        }

        return Task.CompletedTask;
    }

    public Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(requestId, out var job) || job.Owner != owner)
                return Task.FromResult(false);
            job = job with { Status = status, ResultJson = resultJson ?? job.ResultJson, Error = error ?? job.Error };
            if (status is JobStatus.Retry or JobStatus.Searching)
            {
                job = job with { Owner = null };
                _leases[requestId] = time.GetUtcNow() + (retryAfter ?? TimeSpan.Zero);
            }
            else if (status is JobStatus.Completed or JobStatus.Failed)
            {
                _leases.Remove(requestId);
            }

            _jobs[requestId] = job;
            return Task.FromResult(true);
        }
    }

    public Task<bool> ResumeAsync(Guid requestId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(requestId, out var job) || job.Status != JobStatus.Searching)
                return Task.FromResult(false);
            _jobs[requestId] = job with { Status = JobStatus.Pending, Attempts = 0, Owner = null };
            _leases[requestId] = time.GetUtcNow(); // claimable at once, ahead of the pending queue
            return Task.FromResult(true);
        }
    }

    public Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_jobs.TryGetValue(requestId, out var job) ? job : null);
}
