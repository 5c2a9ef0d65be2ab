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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment}: {Error}")]
    partial void LogMlflowDown(string experiment, string error);
}
