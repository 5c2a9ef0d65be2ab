using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace NeuralTrade.Events.Tracking;

/// <summary>Starts runs: in MLflow (experiment per model name) when configured and answering, always locally.</summary>
public sealed partial class RunTracker(TrackingOptions options, MlflowClient? mlflow, TimeProvider time, ILogger<RunTracker> logger)
{
    public async Task<TrackedRun> StartRunAsync(string experiment, string runName, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default)
    {
        MlflowRun? run = null;
        string? error = null;
        if (mlflow is not null)
        {
            try
            {
                var experimentId = await mlflow.GetOrCreateExperimentAsync(experiment, cancellationToken);
                run = await mlflow.CreateRunAsync(experimentId, runName, time.GetUtcNow(), tags, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or MlflowException or TaskCanceledException or TimeoutException
                                          or Polly.Timeout.TimeoutRejectedException)
            {
                error = $"MLflow at {mlflow.BaseAddress} could not start the run: {e.Message}; recorded locally instead";
                LogMlflowDown(experiment, error);
            }
        }

        var local = LocalRun.Create(options.LocalDirectory, experiment, run?.RunId ?? Guid.NewGuid().ToString("N"), runName, time.GetUtcNow(), tags,
            run is null ? null : new JsonObject { ["runId"] = run.RunId, ["experimentId"] = run.ExperimentId, ["artifactUri"] = run.ArtifactUri, ["trackingUri"] = options.MlflowUri });
        return new TrackedRun(local, mlflow, run, error, logger);
    }

    /// <summary>
    /// Ends a run that a worker abandoned (it was killed, or lost its job's lease) as KILLED in MLflow, with the reason
    /// as a tag, where MLflow still shows it RUNNING; a run that ended, or that only exists locally, is left as it is.
    /// Best effort: MLflow being down is logged, never fatal to the job taking over.
    /// </summary>
    public async Task EndAbandonedAsync(string runId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (mlflow is null)
            return;
        try
        {
            var run = await mlflow.GetRunAsync(runId, cancellationToken);
            if (run.Status != "RUNNING")
                return;
            await mlflow.SetTagAsync(runId, "neuraltrade.abandoned", reason, cancellationToken);
            await mlflow.UpdateRunAsync(runId, "KILLED", time.GetUtcNow(), cancellationToken);
            LogKilled(runId, reason);
        }
        catch (Exception e) when (e is HttpRequestException or MlflowException or TaskCanceledException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException)
        {
            LogAbandonedNotEnded(runId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was abandoned by its worker and is now KILLED in MLflow: {Reason}")]
    partial void LogKilled(string runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} was abandoned by its worker, but MLflow could not be told: {Error}")]
    partial void LogAbandonedNotEnded(string runId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment}: {Error}")]
    partial void LogMlflowDown(string experiment, string error);
}
