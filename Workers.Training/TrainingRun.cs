using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Modeling.Search;
using NeuralTrade.Events.Workers.Training.Search;
using NeuralTrade.Events.Reporting;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// One attempt at a job: opens the run (MLflow, else local) and announces training.started, loads the requested
/// candles, trains on a dedicated thread while each epoch is reported, records the artifact, the final metrics, the
/// calibration and the plots in the run, runs and records a walk-forward when the recipe asks for one
/// (<see cref="Hyperparameters.WalkForwardFolds"/>: the run is the parent of a child run per fold, and the pooled
/// figures join the metrics), and hands the resulting training.completed over to be stored and announced. A failure (the hand-over
/// included) ends the run as failed and is returned for the job loop to retry or fail the job; a cancellation ends
/// the run as failed and propagates.
/// </summary>
public sealed partial class TrainingRun(ICandleStore store, RunTracker tracker, TrainingEvents events, ITrainingJobStore jobs,
    ILogger<TrainingRun> logger)
{
    /// <summary>
    /// Ends the run of the job's last attempt as KILLED (MLflow and the local run store) where it is still RUNNING: that
    /// attempt's worker stopped before ending it. Called when a later attempt takes the job over, and when the job is
    /// given up because its attempts ran out.
    /// </summary>
    public Task EndAbandonedAsync(TrainingJob job, string modelName, string reason, CancellationToken cancellationToken) =>
        job.RunId is { } abandoned ? tracker.EndAbandonedAsync(modelName, abandoned, reason, cancellationToken) : Task.CompletedTask;

    /// <summary>Trains <paramref name="job"/>; null when it was trained and handed over, else the failed run.</summary>
    /// <param name="owner">The job's owner, which reports its progress.</param>
    /// <param name="handOver">Stores and announces the result (with the job loop's own cancellation).</param>
    /// <param name="trial">A search's trial: its recipe, its parent run and ASHA; null for a training request.</param>
    public async Task<FailedRun?> RunAsync(TrainingJob job, TrainingRequested request, string owner, Func<TrainingCompleted, Task> handOver,
        CancellationToken cancellationToken, TrialContext? trial = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handOver);
        var stopwatch = Stopwatch.StartNew();
        var series = new SeriesKey(request.Exchange, request.Symbol, request.Interval);
        var modelName = ModelNames.For(series);
        var hp = trial?.Recipe ?? Hyperparameters.Apply(request.Hyperparameters, out _);
        var device = TorchDevices.Best();
        // A run abandoned by an earlier attempt (its worker killed, its lease lost) ends KILLED, not RUNNING forever.
        await EndAbandonedAsync(job, modelName, $"attempt {job.Attempts - 1} did not finish (its worker stopped or lost the job's lease); attempt {job.Attempts} took over", cancellationToken);

        TrackedRun run;
        try
        {
            run = trial is null
                ? await tracker.StartTrainingRunAsync(request, job.Attempts, series, modelName, hp, device, cancellationToken)
                : await tracker.StartRunAsync(modelName, $"{modelName}-{request.RequestId.ToString("N")[..8]}-t{trial.Trial}-a{job.Attempts}",
                    trial.Tags(TrainingTracking.RunTags(request, job.Attempts, series, hp, device)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new FailedRun(null, e); // the run could not even be recorded: an attempt like any failed one
        }

        try
        {
            await jobs.RecordRunAsync(job.RequestId, run.RunId, cancellationToken);
            if (trial is null)
                await events.PublishStartedAsync(request, job.Attempts, run, modelName, cancellationToken);
            LogStarted(request.RequestId, modelName, run.RunId, run.Store, device.type.ToString());
            await run.LogTrainingParamsAsync(hp, series, cancellationToken);
            var candles = await store.GetRangeAsync(series, request.From, request.To, cancellationToken);
            var epochs = new EpochReporter(run, jobs, job.RequestId, owner, modelName, logger);
            var outcome = await TrainingThread.RunAsync(
                progress => ModelTraining.Run(modelName, series, candles, hp, device,
                    trial is null || trial.Rungs.Count == 0 ? progress : AshaHook.Create(trial.Rungs, trial.ReductionFactor, trial.RecordAtRung, progress),
                    cancellationToken), epochs.ReportAsync,
                cancellationToken);
            var (artifact, metrics) = await run.LogTrainingResultAsync(modelName, outcome, cancellationToken);
            await run.LogMlflowModelAsync(outcome, logger, cancellationToken);
            await run.LogTrainingReportAsync(outcome, logger, cancellationToken);
            await run.LogInputsAsync([TrainingDatasets.Input(series, candles, outcome.Manifest.Training)], cancellationToken);
            WalkForwardReport? walkForward = null;
            if (hp.WalkForwardFolds > 0)
            {
                walkForward = await WalkForwardAsync(request.RequestId, candles, hp, device, cancellationToken);
                await WalkForwardRecorder.RecordAsync(tracker, modelName, run, walkForward,
                    TrainingTracking.RunTags(request, job.Attempts, series, hp, device), cancellationToken);
                foreach (var (key, value) in TrainingTracking.Finite(WalkForwardRecorder.Metrics(walkForward)))
                    metrics[key] = value;
            }

            await run.FinishTrainingRunAsync(TrainingTracking.Note(request, series, hp, outcome, walkForward), cancellationToken);
            await handOver(TrainingEvents.Completed(request, run, modelName, artifact, metrics, outcome.Dataset, stopwatch.Elapsed));
            return null;
        }
        catch (TrialStoppedException e)
        {
            // Early-stopped by ASHA: KILLED, as Ray Tune's stopped trials show in MLflow, with where and why.
            await run.SetTagsAsync(new Dictionary<string, string>
            {
                ["neuraltrade.search.stopped_at"] = e.Rung.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["neuraltrade.search.stopped"] = e.Message,
            }, CancellationToken.None);
            await run.EndAsync("KILLED", CancellationToken.None);
            return new FailedRun(run.RunId, e);
        }
        catch (OperationCanceledException)
        {
            await run.EndAsync(false, CancellationToken.None);
            throw;
        }
        catch (Exception e)
        {
            await run.EndAsync(false, CancellationToken.None);
            return new FailedRun(run.RunId, e);
        }
    }

    /// <summary>
    /// The rolling-origin walk-forward of the request's recipe on the same candles, on its own thread as training is
    /// (its folds train models); its progress lines go to the log. Too few samples for the folds asked for is the
    /// request's problem, not one another attempt could solve.
    /// </summary>
    async Task<WalkForwardReport> WalkForwardAsync(Guid requestId, IReadOnlyList<Candle> candles, Hyperparameters hp, Device device,
        CancellationToken cancellationToken)
    {
        LogWalkForwardStarting(requestId, hp.WalkForwardFolds);
        try
        {
            return await TrainingThread.RunAsync<string, WalkForwardReport>(
                progress => WalkForward.Run(candles, hp, new WalkForwardOptions { Folds = hp.WalkForwardFolds }, device, progress, cancellationToken),
                line =>
                {
                    LogWalkForward(requestId, line);
                    return Task.CompletedTask;
                }, cancellationToken);
        }
        catch (NotEnoughDataException e)
        {
            throw new TrainingRequestException($"walkForwardFolds {hp.WalkForwardFolds}: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: model trained; walk-forward over {Folds} folds")]
    partial void LogWalkForwardStarting(Guid requestId, int folds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: {Progress}")]
    partial void LogWalkForward(Guid requestId, string progress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: model {ModelName}, run {RunId} ({Store}), device {Device}")]
    partial void LogStarted(Guid requestId, string modelName, string runId, string store, string device);
}
