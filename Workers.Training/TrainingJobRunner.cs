using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Claims training jobs and runs them, one per slot (<see cref="TrainingOptions.ConcurrentJobs"/>): opens the run
/// (MLflow, else local), announces training.started, trains on a dedicated thread while logging each epoch,
/// stores the artifact, records the result in the job, then announces training.completed. The job's lease is
/// renewed while it runs; losing it stops the run. A crash leaves the lease to expire and another runner retries.
/// </summary>
public sealed partial class TrainingJobRunner(
    ITrainingJobStore jobs,
    ICandleStore store,
    RunTracker tracker,
    IBus bus,
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

            await RunAsync(job, stoppingToken);
        }
    }

    /// <summary>Runs one claimed job to an end state, or hands it back.</summary>
    internal async Task RunAsync(TrainingJob job, CancellationToken stoppingToken)
    {
        var request = JsonSerializer.Deserialize<TrainingRequested>(job.RequestJson, ContractJson.Options)!;
        using var activity = TrainingTelemetry.Source.StartActivity("training job");
        activity?.SetTag("neuraltrade.request_id", request.RequestId);
        using var jobCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var leaseLost = false;
        var heartbeat = HeartbeatAsync(job.RequestId, jobCancellation, () => leaseLost = true);
        try
        {
            if (job.Status == JobStatus.Announcing && job.ResultJson is not null)
            {
                // The result was stored but maybe not announced before the last owner stopped: announce it (same event id).
                await AnnounceAsync(job.RequestId, JsonSerializer.Deserialize<TrainingCompleted>(job.ResultJson, ContractJson.Options)!, stoppingToken);
            }
            else if (job.Attempts > _options.MaxAttempts)
            {
                await FailAsync(request, null, $"gave up after {job.Attempts - 1} attempts; last error: {job.Error ?? "the worker stopped during the job"}",
                    stoppingToken);
            }
            else
            {
                await TrainAsync(job, request, jobCancellation.Token, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (leaseLost)
        {
            LogLeaseLost(request.RequestId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: hand the job back at once so another worker (or this one after restart) retries it.
            await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Retry, error: "the worker stopped during the job",
                retryAfter: TimeSpan.Zero, cancellationToken: CancellationToken.None);
            LogHandedBack(request.RequestId);
        }
        finally
        {
            await jobCancellation.CancelAsync();
            await heartbeat;
        }
    }

    async Task TrainAsync(TrainingJob job, TrainingRequested request, CancellationToken cancellationToken, CancellationToken stoppingToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var series = new SeriesKey(request.Exchange, request.Symbol, request.Interval);
        var modelName = ModelNames.For(series);
        var hp = Hyperparameters.Apply(request.Hyperparameters, out _);
        var device = TorchDevices.Best();
        var run = await tracker.StartRunAsync(modelName, $"{modelName}-{request.RequestId.ToString("N")[..8]}-a{job.Attempts}", new Dictionary<string, string>
        {
            ["neuraltrade.request_id"] = request.RequestId.ToString(),
            ["neuraltrade.series"] = series.ToString(),
            ["neuraltrade.reason"] = request.Reason,
            ["neuraltrade.attempt"] = job.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["feature_spec"] = FeatureSpec.OhlcvV1.Id,
            ["seed"] = hp.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["device"] = device.type.ToString(),
            ["mlflow.source.git.commit"] = GitCommit,
        }, cancellationToken);

        await bus.Publish(new TrainingStarted
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.started|{job.Attempts}"),
            CorrelationId = request.CorrelationId,
            RequestId = request.RequestId,
            RunId = run.RunId,
            ExperimentId = run.ExperimentId,
            ModelName = modelName,
        }, cancellationToken);
        LogStarted(request.RequestId, modelName, run.RunId, run.Store, device.type.ToString());

        try
        {
            await run.LogParamsAsync(hp.ToDictionary().Append(KeyValuePair.Create("series", series.ToString()))
                .ToDictionary(kv => kv.Key, kv => kv.Value), cancellationToken);
            var candles = await store.GetRangeAsync(series, request.From, request.To, cancellationToken);

            var progress = Channel.CreateUnbounded<EpochProgress>();
            var training = Task.Factory.StartNew(() =>
            {
                try
                {
                    return ModelTraining.Run(modelName, series, candles, hp, device, p => progress.Writer.TryWrite(p), cancellationToken);
                }
                finally
                {
                    progress.Writer.TryComplete();
                }
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            var samplesBefore = 0;
            await foreach (var epoch in progress.Reader.ReadAllAsync(CancellationToken.None))
            {
                await run.LogMetricsAsync([
                    new RunMetric("train_loss", epoch.TrainLoss, epoch.Epoch),
                    new RunMetric("validation_loss", epoch.ValidationLoss, epoch.Epoch),
                    new RunMetric("learning_rate", epoch.LearningRate, epoch.Epoch),
                ], CancellationToken.None);
                await jobs.ReportProgressAsync(request.RequestId, _owner, JsonSerializer.Serialize(epoch, ContractJson.Options), CancellationToken.None);
                TrainingTelemetry.Epochs.Add(1);
                TrainingTelemetry.Progress.Record((double)epoch.Epoch / epoch.MaxEpochs, new KeyValuePair<string, object?>("model", modelName));
                TrainingTelemetry.Samples.Add(epoch.SamplesSeen - samplesBefore);
                samplesBefore = epoch.SamplesSeen;
                TrainingTelemetry.Loss.Record(epoch.TrainLoss, new KeyValuePair<string, object?>("split", "train"));
                TrainingTelemetry.Loss.Record(epoch.ValidationLoss, new KeyValuePair<string, object?>("split", "validation"));
                LogEpoch(request.RequestId, epoch.Epoch, epoch.MaxEpochs, epoch.TrainLoss, epoch.ValidationLoss, epoch.Improved);
            }

            var outcome = await training;
            var artifact = await run.LogArtifactAsync($"model/{modelName}{ModelArtifact.FileExtension}", outcome.Artifact, cancellationToken);
            var metrics = outcome.Manifest.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value);
            await run.LogMetricsAsync(metrics.Select(m => new RunMetric(m.Key, m.Value, outcome.History.Count)).ToList(), cancellationToken);
            await run.SetTagsAsync(new Dictionary<string, string> { ["artifact.uri"] = artifact.Uri, ["artifact.sha256"] = artifact.Sha256 },
                cancellationToken);
            await run.EndAsync(true, cancellationToken);

            var completed = new TrainingCompleted
            {
                EventId = DeterministicGuid.Create($"{request.RequestId}|training.completed"),
                CorrelationId = request.CorrelationId,
                RequestId = request.RequestId,
                RunId = run.RunId,
                ModelName = modelName,
                Artifact = artifact,
                Metrics = metrics,
                Dataset = outcome.Dataset,
                DurationSeconds = Math.Round(stopwatch.Elapsed.TotalSeconds, 3),
                Tracking = new TrackingInfo(run.Store, run.MlflowError),
            };
            if (!await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Announcing,
                    resultJson: JsonSerializer.Serialize(completed, ContractJson.Options), cancellationToken: stoppingToken))
            {
                LogLeaseLost(request.RequestId);
                return;
            }

            TrainingTelemetry.Duration.Record(stopwatch.Elapsed.TotalSeconds);
            await AnnounceAsync(request.RequestId, completed, stoppingToken);
        }
        catch (TrainingRequestException e)
        {
            await run.EndAsync(false, CancellationToken.None);
            await FailAsync(request, run.RunId, e.Message, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await run.EndAsync(false, CancellationToken.None);
            if (job.Attempts >= _options.MaxAttempts)
            {
                await FailAsync(request, run.RunId, $"failed after {job.Attempts} attempts: {e.Message}", stoppingToken);
                return;
            }

            LogRetrying(e, request.RequestId, job.Attempts, _options.MaxAttempts);
            TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
            await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Retry, error: e.Message,
                retryAfter: TimeSpan.FromSeconds(_options.RetryDelaySeconds), cancellationToken: stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await run.EndAsync(false, CancellationToken.None);
            throw;
        }
    }

    async Task AnnounceAsync(Guid requestId, TrainingCompleted completed, CancellationToken cancellationToken)
    {
        await bus.Publish(completed, cancellationToken);
        await jobs.TransitionAsync(requestId, _owner, JobStatus.Completed, cancellationToken: cancellationToken);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
        LogCompleted(requestId, completed.ModelName, completed.Metrics.GetValueOrDefault("macro_f1"), completed.Artifact.Uri);
    }

    async Task FailAsync(TrainingRequested request, string? runId, string error, CancellationToken cancellationToken)
    {
        await bus.Publish(new TrainingFailed
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.failed"),
            CorrelationId = request.CorrelationId,
            RequestId = request.RequestId,
            RunId = runId,
            Error = error,
        }, cancellationToken);
        await jobs.TransitionAsync(request.RequestId, _owner, JobStatus.Failed, error: error, cancellationToken: cancellationToken);
        TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        LogFailed(request.RequestId, error);
    }

    async Task HeartbeatAsync(Guid requestId, CancellationTokenSource job, Action onLost)
    {
        try
        {
            while (!job.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(_options.HeartbeatSeconds), job.Token);
                bool renewed;
                try
                {
                    renewed = await jobs.RenewAsync(requestId, _owner, Lease, job.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(requestId, e.Message);
                    continue; // a store hiccup is not a lost lease; the lease is several heartbeats long
                }

                if (!renewed)
                {
                    onLost();
                    await job.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job ended.
        }
    }

    static readonly string GitCommit = Environment.GetEnvironmentVariable("NEURALTRADE_GIT_COMMIT")
        ?? typeof(TrainingJobRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+').ElementAtOrDefault(1)
        ?? "unknown";

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: model {ModelName}, run {RunId} ({Store}), device {Device}")]
    partial void LogStarted(Guid requestId, string modelName, string runId, string store, string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: epoch {Epoch}/{MaxEpochs} train loss {TrainLoss:F4} validation loss {ValidationLoss:F4} (best so far: {Improved})")]
    partial void LogEpoch(Guid requestId, int epoch, int maxEpochs, double trainLoss, double validationLoss, bool improved);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training {RequestId}: heartbeat failed ({Error}); retrying")]
    partial void LogHeartbeatFailed(Guid requestId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim a training job: {Error}")]
    partial void LogClaimFailed(string error);
}
