using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// One attempt at a job: opens the run (MLflow, else local) and announces training.started, loads the requested
/// candles, trains on a dedicated thread while each epoch is reported, records the artifact and the final metrics in
/// the run, and hands the resulting training.completed over to be stored and announced. A failure (the hand-over
/// included) ends the run as failed and is returned for the job loop to retry or fail the job; a cancellation ends
/// the run as failed and propagates.
/// </summary>
public sealed partial class TrainingRun(ICandleStore store, RunTracker tracker, TrainingEvents events, ITrainingJobStore jobs,
    ILogger<TrainingRun> logger)
{
    /// <summary>Trains <paramref name="job"/>; null when it was trained and handed over, else the failed run.</summary>
    /// <param name="owner">The job's owner, which reports its progress.</param>
    /// <param name="handOver">Stores and announces the result (with the job loop's own cancellation).</param>
    public async Task<FailedRun?> RunAsync(TrainingJob job, TrainingRequested request, string owner, Func<TrainingCompleted, Task> handOver,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(handOver);
        var stopwatch = Stopwatch.StartNew();
        var series = new SeriesKey(request.Exchange, request.Symbol, request.Interval);
        var modelName = ModelNames.For(series);
        var hp = Hyperparameters.Apply(request.Hyperparameters, out _);
        var device = TorchDevices.Best();
        // A run abandoned by an earlier attempt (its worker killed, its lease lost) ends KILLED in MLflow, not RUNNING forever.
        if (job.RunId is { } abandoned)
            await tracker.EndAbandonedAsync(abandoned, $"attempt {job.Attempts - 1} did not finish (its worker stopped or lost the job's lease); attempt {job.Attempts} took over", cancellationToken);

        TrackedRun run;
        try
        {
            run = await tracker.StartTrainingRunAsync(request, job.Attempts, series, modelName, hp, device, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new FailedRun(null, e); // the run could not even be recorded: an attempt like any failed one
        }

        try
        {
            await jobs.RecordRunAsync(request.RequestId, run.RunId, cancellationToken);
            await events.PublishStartedAsync(request, job.Attempts, run, modelName, cancellationToken);
            LogStarted(request.RequestId, modelName, run.RunId, run.Store, device.type.ToString());
            await run.LogTrainingParamsAsync(hp, series, cancellationToken);
            var candles = await store.GetRangeAsync(series, request.From, request.To, cancellationToken);
            var epochs = new EpochReporter(run, jobs, request.RequestId, owner, modelName, logger);
            var outcome = await TrainingThread.RunAsync(
                progress => ModelTraining.Run(modelName, series, candles, hp, device, progress, cancellationToken), epochs.ReportAsync,
                cancellationToken);
            var (artifact, metrics) = await run.FinishTrainingRunAsync(modelName, outcome, cancellationToken);
            await handOver(TrainingEvents.Completed(request, run, modelName, artifact, metrics, outcome.Dataset, stopwatch.Elapsed));
            return null;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Training {RequestId}: model {ModelName}, run {RunId} ({Store}), device {Device}")]
    partial void LogStarted(Guid requestId, string modelName, string runId, string store, string device);
}
