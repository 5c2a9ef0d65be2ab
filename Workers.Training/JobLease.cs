using NeuralTrade.Events.Stores;
namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Keeps a claimed job's lease while the job runs: renews it every <see cref="TrainingOptions.HeartbeatSeconds"/> and,
/// once the store says another worker owns the job, sets <see cref="Lost"/> and cancels <see cref="Token"/>. A renewal
/// that fails (a store hiccup) is not a lost lease: it is logged and tried at the next beat, the lease being several beats
/// long. Disposing stops the heartbeat.
/// </summary>
internal sealed partial class JobLease : IAsyncDisposable
{
    readonly ITrainingJobStore _jobs;
    readonly Guid _requestId;
    readonly string _owner;
    readonly TrainingOptions _options;
    readonly ILogger _logger;
    readonly CancellationTokenSource _job;
    readonly Task _heartbeat;
    volatile bool _lost;

    JobLease(ITrainingJobStore jobs, Guid requestId, string owner, TrainingOptions options, ILogger logger, CancellationToken stoppingToken)
    {
        (_jobs, _requestId, _owner, _options, _logger) = (jobs, requestId, owner, options, logger);
        _job = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _heartbeat = HeartbeatAsync();
    }

    /// <summary>Cancelled when the worker stops, when the lease is lost, and when the lease is disposed.</summary>
    public CancellationToken Token => _job.Token;

    /// <summary>Another worker owns the job now; this one must not touch it.</summary>
    public bool Lost => _lost;

    /// <summary>Starts renewing the lease of the job <paramref name="owner"/> claimed.</summary>
    public static JobLease Keep(ITrainingJobStore jobs, Guid requestId, string owner, TrainingOptions options, ILogger logger,
        CancellationToken stoppingToken) => new(jobs, requestId, owner, options, logger, stoppingToken);

    public async ValueTask DisposeAsync()
    {
        await _job.CancelAsync();
        await _heartbeat;
        _job.Dispose();
    }

    async Task HeartbeatAsync()
    {
        try
        {
            while (!_job.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(_options.HeartbeatSeconds), _job.Token);
                bool renewed;
                try
                {
                    renewed = await _jobs.RenewAsync(_requestId, _owner, TimeSpan.FromSeconds(_options.LeaseSeconds), _job.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(_requestId, e.Message);
                    continue; // a store hiccup is not a lost lease; the lease is several heartbeats long
                }

                if (!renewed)
                {
                    _lost = true;
                    await _job.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job ended.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training {RequestId}: heartbeat failed ({Error}); retrying")]
    partial void LogHeartbeatFailed(Guid requestId, string error);
}
