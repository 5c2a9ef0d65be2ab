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
    /// Ends a run that a worker abandoned (it was killed, gave up, or lost its job's lease) as KILLED, with the reason as the
    /// tag <c>neuraltrade.abandoned</c>, where it still shows RUNNING: in MLflow, and in the local run store when this
    /// machine holds the run. A run that ended is left as it is. Best effort: MLflow being down is logged, never fatal to
    /// the job taking over.
    /// </summary>
    public async Task EndAbandonedAsync(string experiment, string runId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(runId);
        try
        {
            if (LocalRun.Open(options.LocalDirectory, experiment, runId) is { Status: "RUNNING" } local)
            {
                local.SetAll("tags", new Dictionary<string, string> { ["neuraltrade.abandoned"] = reason });
                local.End("KILLED");
            }
        }
        catch (Exception e) when (IsLocalStoreFailure(e))
        {
            LogLocalRunNotUpdated(runId, e.Message);
        }

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
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            LogAbandonedNotInMlflow(runId); // a run that only ever existed locally (MLflow was down when it started)
        }
        catch (Exception e) when (e is HttpRequestException or MlflowException or TaskCanceledException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException)
        {
            LogAbandonedNotEnded(runId, e.Message);
        }
    }

    /// <summary>
    /// Adds metrics and tags to a run that has ended (the Registry's decision on a candidate's run): in MLflow when
    /// <paramref name="inMlflow"/>, then in the local run store when this machine holds the run, so that the figures a
    /// decision was made on are on the run wherever it is kept. MLflow's failures propagate (the caller retries, and
    /// nothing was written locally yet); the local store is best effort, and a run that already carries the tag
    /// <paramref name="onceTag"/> with the same value is not written again (a redelivered decision appends nothing).
    /// </summary>
    public async Task RecordOnRunAsync(string experiment, string runId, bool inMlflow, IReadOnlyDictionary<string, double> metrics,
        IReadOnlyDictionary<string, string> tags, string onceTag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(runId);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(tags);
        var finite = metrics.Where(m => double.IsFinite(m.Value)).ToList();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (inMlflow && mlflow is not null)
            await mlflow.LogBatchAsync(runId, [.. finite.Select(m => new MlflowMetric(m.Key, m.Value, now, 0))], new Dictionary<string, string>(), tags, cancellationToken);

        try
        {
            if (LocalRun.Open(options.LocalDirectory, experiment, runId) is { } local && local.Tag(onceTag) != tags.GetValueOrDefault(onceTag))
            {
                local.AppendMetrics([.. finite.Select(m => new RunMetric(m.Key, m.Value, 0))], now);
                local.SetAll("tags", tags);
            }
        }
        catch (Exception e) when (IsLocalStoreFailure(e))
        {
            LogLocalRunNotUpdated(runId, e.Message);
        }
    }

    /// <summary>
    /// Ends a run this worker did not open (a search's parent run, ended by whichever trainer finishes the search) as
    /// <paramref name="status"/> where it still shows RUNNING: in the local run store when this machine holds it, and in
    /// MLflow when <paramref name="inMlflow"/>. Best effort: a failure is logged, never fatal to the caller.
    /// </summary>
    public async Task EndRunAsync(string experiment, string runId, bool inMlflow, string status, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(runId);
        try
        {
            if (LocalRun.Open(options.LocalDirectory, experiment, runId) is { Status: "RUNNING" } local)
                local.End(status);
        }
        catch (Exception e) when (IsLocalStoreFailure(e))
        {
            LogLocalRunNotUpdated(runId, e.Message);
        }

        if (!inMlflow || mlflow is null)
            return;
        try
        {
            await mlflow.UpdateRunAsync(runId, status, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or MlflowException or TaskCanceledException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException)
        {
            LogAbandonedNotEnded(runId, e.Message);
        }
    }

    /// <summary>What the local run store can throw: a missing, unreadable, full or hand-edited run directory.</summary>
    static bool IsLocalStoreFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException or ArgumentException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the local run store could not be updated: {Error}")]
    partial void LogLocalRunNotUpdated(string runId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId} was abandoned but MLflow has no such run (it was recorded locally only)")]
    partial void LogAbandonedNotInMlflow(string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was abandoned by its worker and is now KILLED in MLflow: {Reason}")]
    partial void LogKilled(string runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} was abandoned by its worker, but MLflow could not be told: {Error}")]
    partial void LogAbandonedNotEnded(string runId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Experiment {Experiment}: {Error}")]
    partial void LogMlflowDown(string experiment, string error);
}
