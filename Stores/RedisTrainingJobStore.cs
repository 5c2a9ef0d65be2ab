using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

public sealed class RedisTrainingJobStore(IConnectionMultiplexer redis, RedisKeys keys, TimeProvider time, RedisReplication? replication = null) : ITrainingJobStore
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
        if status ~= 'pending' and status ~= 'running' and status ~= 'retry' and status ~= 'announcing' and status ~= 'searching' then return false end
        -- A search checked while it waits for its trials is not a new attempt.
        if status ~= 'searching' then redis.call('HINCRBY', job, 'attempts', 1) end
        if status ~= 'announcing' then status = 'running' end
        redis.call('HSET', job, 'status', status, 'owner', ARGV[2], 'leaseUntil', ARGV[3])
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
        if ARGV[3] == 'retry' or ARGV[3] == 'searching' then
          redis.call('HDEL', KEYS[1], 'owner')
          redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
        elseif ARGV[3] == 'completed' or ARGV[3] == 'failed' then
          redis.call('ZREM', KEYS[2], ARGV[1])
        end
        return 1
        """;

    // ARGV: id, now (ms). Claimable at once, ahead of the pending list (claims take due leases first).
    const string ResumeScript = """
        if redis.call('HGET', KEYS[1], 'status') ~= 'searching' then return 0 end
        redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0)
        redis.call('HDEL', KEYS[1], 'owner')
        redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
        return 1
        """;

    IDatabase Db => redis.GetDatabase();
    RedisKey Job(Guid id) => keys.For("training", "job", id.ToString("N"));
    RedisKey Pending => keys.For("training", "pending");
    RedisKey Leases => keys.For("training", "leases");
    long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<bool> EnqueueAsync(Guid requestId, string requestJson, CancellationToken cancellationToken = default)
    {
        var epoch = Epoch;
        return await Replicated(epoch, (int)await Db.ScriptEvaluateAsync(EnqueueScript, [Job(requestId), Pending], [requestId.ToString("N"), requestJson, Now])
            .WaitAsync(cancellationToken) == 1, cancellationToken);
    }

    long Epoch => replication?.Epoch ?? 0;

    /// <summary>The write's answer, once the replicas <see cref="RedisReplication"/> asks for hold the write (a job's state is critical).</summary>
    async Task<T> Replicated<T>(long epoch, T answer, CancellationToken cancellationToken)
    {
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
        return answer;
    }

    public async Task<TrainingJob?> TryClaimAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var epoch = Epoch;
        var result = await Db.ScriptEvaluateAsync(ClaimScript, [Pending, Leases],
            [Now, owner, Now + (long)lease.TotalMilliseconds, keys.For("training", "job", "").ToString()]).WaitAsync(cancellationToken);
        if (result.IsNull)
            return null;
        await Replicated(epoch, true, cancellationToken);
        return await GetAsync(Guid.ParseExact((string)result!, "N"), cancellationToken);
    }

    public async Task<bool> RenewAsync(Guid requestId, string owner, TimeSpan lease, CancellationToken cancellationToken = default) =>
        (int)await Db.ScriptEvaluateAsync(RenewScript, [Job(requestId), Leases],
            [requestId.ToString("N"), owner, Now + (long)lease.TotalMilliseconds]).WaitAsync(cancellationToken) == 1;

    public Task ReportProgressAsync(Guid requestId, string owner, string progressJson, CancellationToken cancellationToken = default) =>
        Db.HashSetAsync(Job(requestId), "progress", progressJson).WaitAsync(cancellationToken);

    public async Task<bool> TransitionAsync(Guid requestId, string owner, string status, string? resultJson = null, string? error = null,
        TimeSpan? retryAfter = null, CancellationToken cancellationToken = default)
    {
        var epoch = Epoch;
        return await Replicated(epoch, (int)await Db.ScriptEvaluateAsync(TransitionScript, [Job(requestId), Leases],
            [requestId.ToString("N"), owner, status, resultJson ?? "", error ?? "", Now + (long)(retryAfter ?? TimeSpan.Zero).TotalMilliseconds])
            .WaitAsync(cancellationToken) == 1, cancellationToken);
    }

    public async Task RecordRunAsync(Guid requestId, string runId, CancellationToken cancellationToken = default)
    {
        var epoch = Epoch;
        await Replicated(epoch, await Db.HashSetAsync(Job(requestId), "run", runId).WaitAsync(cancellationToken), cancellationToken);
    }

    public async Task<bool> ResumeAsync(Guid requestId, CancellationToken cancellationToken = default)
    {
        var epoch = Epoch;
        return await Replicated(epoch, (int)await Db.ScriptEvaluateAsync(ResumeScript, [Job(requestId), Leases], [requestId.ToString("N"), Now])
            .WaitAsync(cancellationToken) == 1, cancellationToken);
    }

    public async Task<TrainingJob?> GetAsync(Guid requestId, CancellationToken cancellationToken = default)
    {
        var fields = (await Db.HashGetAllAsync(Job(requestId)).WaitAsync(cancellationToken)).ToDictionary(e => (string)e.Name!, e => (string?)e.Value);
        if (fields.Count == 0)
            return null;
        return new TrainingJob(requestId, fields["request"]!, fields["status"]!, int.Parse(fields.GetValueOrDefault("attempts") ?? "0",
            System.Globalization.CultureInfo.InvariantCulture), fields.GetValueOrDefault("owner"), fields.GetValueOrDefault("result"),
            fields.GetValueOrDefault("progress"), fields.GetValueOrDefault("error")) { RunId = fields.GetValueOrDefault("run") };
    }
}
