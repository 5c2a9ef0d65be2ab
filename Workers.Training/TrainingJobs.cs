using System.Collections.Concurrent;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// States of a training job: pending → running → announcing (result stored, event not yet published) → completed,
/// or → retry (failed, will run again) / failed (given up, or a bad request).
/// </summary>
public static class JobStatus
{
    public const string Pending = "pending", Running = "running", Retry = "retry", Announcing = "announcing", Completed = "completed", Failed = "failed";
}

/// <summary>A job as stored: the request (contract JSON), its state, the result once known, the latest progress.</summary>
public sealed record TrainingJob(Guid RequestId, string RequestJson, string Status, int Attempts, string? Owner, string? ResultJson,
    string? ProgressJson, string? Error);

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

    /// <summary>Moves an owned job to <paramref name="status"/>; with <see cref="JobStatus.Retry"/> it becomes claimable after <paramref name="retryAfter"/>.</summary>
    Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default);

    Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default);
}

public sealed class RedisTrainingJobStore(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time) : ITrainingJobStore
{
    // Job hashes are addressed from inside the scripts (KEYS cannot name them in advance): standalone Redis only.
    const string EnqueueScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'request', ARGV[2], 'status', 'pending', 'attempts', 0, 'createdAt', ARGV[3])
        redis.call('LPUSH', KEYS[2], ARGV[1])
        return 1
        """;

    const string ClaimScript = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1)
        local id = ids[1]
        if id then redis.call('ZREM', KEYS[2], id) else id = redis.call('RPOP', KEYS[1]) end
        if not id then return false end
        local job = ARGV[4] .. id
        local status = redis.call('HGET', job, 'status')
        if status ~= 'pending' and status ~= 'running' and status ~= 'retry' and status ~= 'announcing' then return false end
        if status ~= 'announcing' then status = 'running' end
        redis.call('HSET', job, 'status', status, 'owner', ARGV[2], 'leaseUntil', ARGV[3])
        redis.call('HINCRBY', job, 'attempts', 1)
        redis.call('ZADD', KEYS[2], ARGV[3], id)
        return id
        """;

    const string RenewScript = """
        if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
        local status = redis.call('HGET', KEYS[1], 'status')
        if status ~= 'running' and status ~= 'announcing' then return 0 end
        redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        return 1
        """;

    // ARGV: id, owner, status, result, error, retryAt (ms, or '' to leave the lease set)
    const string TransitionScript = """
        if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'status', ARGV[3])
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[4]) end
        if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[5]) end
        if ARGV[3] == 'retry' then
          redis.call('HDEL', KEYS[1], 'owner')
          redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
        elseif ARGV[3] == 'completed' or ARGV[3] == 'failed' then
          redis.call('ZREM', KEYS[2], ARGV[1])
        end
        return 1
        """;

    IDatabase Db => redis.GetDatabase();
    RedisKey Job(Guid id) => keys.For("training", "job", id.ToString("N"));
    RedisKey Pending => keys.For("training", "pending");
    RedisKey Leases => keys.For("training", "leases");
    long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<bool> EnqueueAsync(Guid requestId, string requestJson, CancellationToken cancellationToken = default) =>
        (int)await Db.ScriptEvaluateAsync(EnqueueScript, [Job(requestId), Pending], [requestId.ToString("N"), requestJson, Now])
            .WaitAsync(cancellationToken) == 1;

    public async Task<TrainingJob?> TryClaimAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var result = await Db.ScriptEvaluateAsync(ClaimScript, [Pending, Leases],
            [Now, owner, Now + (long)lease.TotalMilliseconds, keys.For("training", "job", "").ToString()]).WaitAsync(cancellationToken);
        return result.IsNull ? null : await GetAsync(Guid.ParseExact((string)result!, "N"), cancellationToken);
    }

    public async Task<bool> RenewAsync(Guid requestId, string owner, TimeSpan lease, CancellationToken cancellationToken = default) =>
        (int)await Db.ScriptEvaluateAsync(RenewScript, [Job(requestId), Leases],
            [requestId.ToString("N"), owner, Now + (long)lease.TotalMilliseconds]).WaitAsync(cancellationToken) == 1;

    public Task ReportProgressAsync(Guid requestId, string owner, string progressJson, CancellationToken cancellationToken = default) =>
        Db.HashSetAsync(Job(requestId), "progress", progressJson).WaitAsync(cancellationToken);

    public async Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default) =>
        (int)await Db.ScriptEvaluateAsync(TransitionScript, [Job(requestId), Leases],
            [requestId.ToString("N"), owner, status, resultJson ?? "", error ?? "", Now + (long)(retryAfter ?? TimeSpan.Zero).TotalMilliseconds])
            .WaitAsync(cancellationToken) == 1;

    public async Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default)
    {
        var fields = (await Db.HashGetAllAsync(Job(requestId)).WaitAsync(cancellationToken)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        if (fields.Count == 0)
            return null;
        return new TrainingJob(requestId, fields["request"]!, fields["status"]!, int.Parse(fields.GetValueOrDefault("attempts") ?? "0",
            System.Globalization.CultureInfo.InvariantCulture), fields.GetValueOrDefault("owner"), fields.GetValueOrDefault("result"),
            fields.GetValueOrDefault("progress"), fields.GetValueOrDefault("error"));
    }
}

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
                Status = job.Status == JobStatus.Announcing ? JobStatus.Announcing : JobStatus.Running, Owner = owner, Attempts = job.Attempts + 1,
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

    public Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(requestId, out var job) || job.Owner != owner)
                return Task.FromResult(false);
            job = job with { Status = status, ResultJson = resultJson ?? job.ResultJson, Error = error ?? job.Error };
            if (status == JobStatus.Retry)
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

    public Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_jobs.TryGetValue(requestId, out var job) ? job : null);
}
