using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Training.Search;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// The job loop: claims training jobs, one per slot (<see cref="TrainingOptions.ConcurrentJobs"/>), keeps each job's
/// lease while it runs (<see cref="JobLease"/>; losing it stops the job) and takes the job to an end state. A
/// <see cref="TrainingRun"/> trains; its result is stored in the job (announcing) before training.completed is
/// published. A bad request, or a failure on the last attempt, ends in training.failed; an earlier failure is retried
/// after <see cref="TrainingOptions.RetryDelaySeconds"/>; a job running as the worker stops is handed back at once. A
/// crash leaves the lease to expire and another runner takes the job over.
/// </summary>
public sealed partial class TrainingJobRunner(
    ITrainingJobStore jobs,
    TrainingRun training,
    TrainingEvents events,
    ISearchStore searches,
    RunTracker tracker,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<TrainingOptions> options,
    ILogger<TrainingJobRunner> logger) : BackgroundService
{
    readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    readonly TrainingOptions _options = options.Value;

    TimeSpan Lease => TimeSpan.FromSeconds(_options.LeaseSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Publish nothing before the bus is up: wait until the host has started every service.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _options.ConcurrentJobs).Select(_ => SlotAsync(stoppingToken)));
    }

    async Task SlotAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TrainingJob? job = null;
            try
            {
                job = await jobs.TryClaimAsync(_owner, Lease, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogClaimFailed(e.Message);
            }

            if (job is null)
            {
                try
                {
                    await Task.Delay(_options.PollIntervalMs, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            try
            {
                await RunAsync(job, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A blip outside the run's own handling (the broker refusing training.failed, Redis timing out on a
                // transition): this slot and the host live on. The job keeps its lease until it expires; then this or
                // another runner takes it over as the next attempt.
                LogJobInterrupted(e, job.RequestId);
                TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "interrupted"));
            }
        }
    }

    /// <summary>Runs one claimed job to an end state, or hands it back.</summary>
    internal async Task RunAsync(TrainingJob job, CancellationToken stoppingToken)
    {
        var trial = TrialJob.TryParse(job.RequestJson);
        var request = trial is null ? JsonSerializer.Deserialize<TrainingRequested>(job.RequestJson, ContractJson.Options)! : null;
        using var activity = TrainingTelemetry.Source.StartActivity(trial is null ? "training job" : "search trial");
        activity?.SetTag("neuraltrade.request_id", trial?.SearchId ?? request!.RequestId);
        await using var lease = JobLease.Keep(jobs, job.RequestId, _owner, _options, logger, stoppingToken);
        try
        {
            if (trial is not null)
            {
                await RunTrialAsync(job, trial, lease.Token, stoppingToken);
            }
            else if (job.Status == JobStatus.Announcing && job.ResultJson is not null)
            {
                // The result was stored but maybe not announced before the last owner stopped: announce it (same event id).
                await AnnounceAsync(job.RequestId, JsonSerializer.Deserialize<TrainingCompleted>(job.ResultJson, ContractJson.Options)!, stoppingToken);
            }
            else if (job.Attempts > _options.MaxAttempts)
            {
                // The last attempt's worker stopped mid-run: its run ends KILLED before the job ends failed.
                await training.EndAbandonedAsync(job, ModelNames.For(new SeriesKey(request!.Exchange, request.Symbol, request.Interval)),
                    $"attempt {job.Attempts - 1} did not finish (its worker stopped or lost the job's lease) and was the last of {_options.MaxAttempts}",
                    stoppingToken);
                await FailAsync(request, job.RunId, $"gave up after {job.Attempts - 1} attempts; last error: {job.Error ?? "the worker stopped during the job"}",
                    stoppingToken);
            }
            else if (request!.Search is not null)
            {
                await RunSearchAsync(job, request, lease.Token, stoppingToken);
            }
            else
            {
                await TrainAsync(job, request, lease.Token, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (lease.Lost)
        {
            LogLeaseLost(job.RequestId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: hand the job back at once so another worker (or this one after restart) retries it.
            await jobs.TransitionAsync(job.RequestId, _owner, JobStatus.Retry, error: "the worker stopped during the job",
                retryAfter: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            LogHandedBack(job.RequestId);
        }
    }

    /// <summary>One attempt: the run trains and hands its result over; a failed run fails the job or schedules a retry.</summary>
    async Task TrainAsync(TrainingJob job, TrainingRequested request, CancellationToken cancellationToken, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = await training.RunAsync(job, request, _owner, completed => StoreAndAnnounceAsync(completed, started, stoppingToken),
            cancellationToken);
        if (failed is null)
            return;

        if (failed.Error is TrainingRequestException)
        {
            await FailAsync(request, failed.RunId, failed.Error.Message, stoppingToken);
            return;
        }

        if (job.Attempts >= _options.MaxAttempts)
        {
            await FailAsync(request, failed.RunId, $"failed after {job.Attempts} attempts: {failed.Error.Message}", stoppingToken);
            return;
        }

        LogRetrying(failed.Error, request.RequestId, job.Attempts, _options.MaxAttempts);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
        await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Retry, error: failed.Error.Message,
            retryAfter: TimeSpan.FromSeconds(_options.RetryDelaySeconds), cancellationToken: stoppingToken);
    }

    /// <summary>Stores the result before announcing it, so that a crash in between re-announces rather than retrains.</summary>
    async Task StoreAndAnnounceAsync(TrainingCompleted completed, long started, CancellationToken stoppingToken)
    {
        if (!await jobs.TransitionAsync(completed.RequestId, _owner, JobStatus.Announcing,
                resultJson: JsonSerializer.Serialize(completed, ContractJson.Options), cancellationToken: stoppingToken))
        {
            LogLeaseLost(completed.RequestId);
            return;
        }

        TrainingTelemetry.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        await AnnounceAsync(completed.RequestId, completed, stoppingToken);
    }

    async Task AnnounceAsync(Guid requestId, TrainingCompleted completed, CancellationToken cancellationToken)
    {
        await events.PublishCompletedAsync(completed, cancellationToken);
        await jobs.TransitionAsync(requestId, _owner, JobStatus.Completed, cancellationToken: cancellationToken);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
        LogCompleted(requestId, completed.ModelName, completed.Metrics.GetValueOrDefault("macro_f1"), completed.Artifact.Uri);
    }

    async Task FailAsync(TrainingRequested request, string? runId, string error, CancellationToken cancellationToken)
    {
        await events.PublishFailedAsync(request, runId, error, cancellationToken);
        await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Failed, error: error, cancellationToken: cancellationToken);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        LogFailed(request.RequestId, error);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: {ModelName} done, test macro-F1 {MacroF1:F3}, artifact {ArtifactUri}")]
    partial void LogCompleted(Guid requestId, string modelName, double macroF1, string artifactUri);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training {RequestId} failed: {Error}")]
    partial void LogFailed(Guid requestId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training {RequestId}: attempt {Attempt} of {MaxAttempts} failed; it will be retried")]
    partial void LogRetrying(Exception e, Guid requestId, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training {RequestId}: this worker lost the job's lease; another worker owns it now")]
    partial void LogLeaseLost(Guid requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: handed back for another attempt as this worker stops")]
    partial void LogHandedBack(Guid requestId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Training {RequestId} was interrupted; it is taken over when its lease expires")]
    partial void LogJobInterrupted(Exception e, Guid requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim a training job: {Error}")]
    partial void LogClaimFailed(string error);
}
