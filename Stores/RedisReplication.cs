using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>
/// Makes a critical write survive the loss of the Redis primary before the message that caused it is acknowledged:
/// <c>WAIT numreplicas timeout</c> (https://redis.io/docs/latest/commands/wait/) returns once that many replicas hold
/// every write this connection sent before it. With <see cref="RedisOptions.WaitReplicas"/> replicas acknowledged, a
/// failover to the most up-to-date replica (what Sentinel chooses) keeps the write; fewer within
/// <see cref="RedisOptions.WaitTimeoutMs"/> throws a <see cref="RedisConnectionException"/>, an outage to the
/// consumers, which hold the message unacknowledged and try it again.
/// Group commit: one WAIT is in flight at a time, and every caller who asks while it is answers to the next one, which
/// covers all their writes (they were sent before it). WAIT blocks the connection it is sent on while it waits, so the
/// stores' other commands queue behind it: the cost of the guarantee, measured in docs/scaling.md.
/// WAIT covers only the writes sent on the connection it is sent on: a caller takes <see cref="Epoch"/> before its write,
/// and if the connection failed or was restored since (a failover, a reconnect), its WAIT proves nothing and the call
/// throws an outage, so the message is tried again (the stores' writes are idempotent) on the connection now in use.
/// With <see cref="RedisOptions.WaitReplicas"/> 0 (the default) nothing is sent.
/// </summary>
public sealed class RedisReplication
{
    readonly IConnectionMultiplexer _redis;
    readonly int _replicas;
    readonly int _timeoutMs;
    readonly Lock _gate = new();
    Task? _inFlight;
    TaskCompletionSource? _next;

    public RedisReplication(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _replicas = options.Value.WaitReplicas;
        _timeoutMs = options.Value.WaitTimeoutMs;
        if (_replicas > 0)
        {
            redis.ConnectionFailed += (_, _) => Interlocked.Increment(ref _epoch);
            redis.ConnectionRestored += (_, _) => Interlocked.Increment(ref _epoch);
        }
    }

    long _epoch;

    /// <summary>Changes whenever a connection to Redis fails or is restored: take it before a write, pass it to <see cref="AwaitReplicasAsync"/>.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>How many WAITs were sent, and how many came back short: for tests and the benchmark.</summary>
    public long Sent => Interlocked.Read(ref _sent);
    public long Short => Interlocked.Read(ref _short);
    long _sent;
    long _short;

    /// <summary>
    /// Returns once <see cref="RedisOptions.WaitReplicas"/> replicas hold every write completed before this call on the
    /// connection of <paramref name="epoch"/> (<see cref="Epoch"/> taken before the writes); throws an outage when fewer
    /// acknowledged in time or the connection changed since.
    /// </summary>
    public async Task AwaitReplicasAsync(long epoch, CancellationToken cancellationToken = default)
    {
        if (_replicas == 0)
            return;
        Task wait;
        lock (_gate)
        {
            if (_inFlight is null)
            {
                wait = Start();
            }
            else
            {
                _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _next.Task;
            }
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Epoch != epoch)
        {
            Interlocked.Increment(ref _short);
            throw new RedisConnectionException(ConnectionFailureType.SocketClosed,
                "Redis: the connection failed or was restored between a critical write and its WAIT, so no replica is known to hold the write; "
                + "the message is not acknowledged and will be tried again");
        }
    }

    // Under _gate.
    Task Start()
    {
        var wait = WaitOnceAsync();
        _inFlight = wait;
        _ = wait.ContinueWith(Finished, TaskScheduler.Default);
        return wait;
    }

    void Finished(Task finished)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_inFlight, finished))
                return;
            _inFlight = null;
            if (_next is not { } waiting)
                return;
            _next = null;
            _ = Start().ContinueWith(t =>
            {
                if (t.IsFaulted)
                    waiting.TrySetException(t.Exception!.InnerExceptions);
                else if (t.IsCanceled)
                    waiting.TrySetCanceled();
                else
                    waiting.TrySetResult();
            }, TaskScheduler.Default);
        }
    }

    async Task WaitOnceAsync()
    {
        Interlocked.Increment(ref _sent);
        var acknowledged = (long)await _redis.GetDatabase().ExecuteAsync("WAIT", _replicas, _timeoutMs).ConfigureAwait(false);
        if (acknowledged < _replicas)
        {
            Interlocked.Increment(ref _short);
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                $"Redis: {acknowledged} of the {_replicas} replica(s) Redis:WaitReplicas asks for acknowledged the write within {_timeoutMs} ms; "
                + "the message is not acknowledged and will be tried again (a replica is down or lagging: see the Redis primary's INFO replication)");
        }
    }
}
