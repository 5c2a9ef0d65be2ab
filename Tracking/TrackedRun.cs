using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Tracking;

/// <summary>
/// A run being recorded. Everything goes to the local run directory; with MLflow configured it is mirrored to
/// the tracking server too. When MLflow fails (down, refusing), the run carries on locally and
/// <see cref="MlflowError"/> says what happened, so training never fails because tracking did.
/// </summary>
public sealed partial class TrackedRun
{
    readonly LocalRun _local;
    readonly MlflowClient? _mlflow;
    readonly MlflowRun? _mlflowRun;
    readonly ILogger _logger;

    internal TrackedRun(LocalRun local, MlflowClient? mlflow, MlflowRun? mlflowRun, string? mlflowError, ILogger logger)
    {
        _local = local;
        _mlflow = mlflow;
        _mlflowRun = mlflowRun;
        MlflowError = mlflowError;
        _logger = logger;
    }

    public string RunId => _local.RunId;
    public string ExperimentId => _mlflowRun?.ExperimentId ?? _local.Experiment;
    public string Store => _mlflowRun is not null && MlflowError is null ? "mlflow" : "local";
    public string LocalPath => _local.Directory;
    public string? MlflowError { get; private set; }
    bool Mirroring => _mlflow is not null && _mlflowRun is not null && MlflowError is null;

    public async Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        _local.SetAll("params", parameters);
        await MirrorAsync(c => c.LogBatchAsync(_mlflowRun!.RunId, [], parameters, new Dictionary<string, string>(), cancellationToken));
    }

    public async Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        _local.SetAll("tags", tags);
        await MirrorAsync(c => c.LogBatchAsync(_mlflowRun!.RunId, [], new Dictionary<string, string>(), tags, cancellationToken));
    }

    public async Task LogMetricsAsync(IReadOnlyList<RunMetric> metrics, CancellationToken cancellationToken = default)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _local.AppendMetrics(metrics, now);
        await MirrorAsync(c => c.LogBatchAsync(_mlflowRun!.RunId,
            metrics.Where(m => double.IsFinite(m.Value)).Select(m => new MlflowMetric(m.Key, m.Value, now, m.Step)).ToList(),
            new Dictionary<string, string>(), new Dictionary<string, string>(), cancellationToken));
    }

    /// <summary>
    /// Records the datasets the run used: in the local run's <c>inputs.json</c>, and as MLflow dataset inputs
    /// (<c>runs/log-inputs</c>) when mirroring. A dataset MLflow would refuse throws <see cref="ArgumentException"/>.
    /// </summary>
    public async Task LogInputsAsync(IReadOnlyList<MlflowDatasetInput> datasets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        foreach (var input in datasets)
            input.Validate();
        _local.AppendInputs(datasets);
        await MirrorAsync(c => c.LogInputsAsync(_mlflowRun!.RunId, datasets, cancellationToken));
    }

    /// <summary>Stores the artifact (MLflow's artifact store when mirroring, the local directory always) and returns where it is.</summary>
    public async Task<ArtifactRef> LogArtifactAsync(string relativePath, byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var local = _local.WriteArtifact(relativePath, content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        string? uri = null;
        await MirrorAsync(async c => uri = await c.UploadArtifactAsync(_mlflowRun!.ArtifactUri, relativePath, content, cancellationToken));
        return new ArtifactRef(uri ?? new Uri(local).AbsoluteUri, sha, content.LongLength);
    }

    public Task EndAsync(bool succeeded, CancellationToken cancellationToken = default) =>
        EndAsync(succeeded ? "FINISHED" : "FAILED", cancellationToken);

    /// <summary>Ends the run as <paramref name="status"/>: MLflow's FINISHED, FAILED or KILLED (an early-stopped trial).</summary>
    public async Task EndAsync(string status, CancellationToken cancellationToken = default)
    {
        if (MlflowError is not null)
            _local.SetAll("tags", new Dictionary<string, string> { ["mlflow.error"] = MlflowError });
        _local.End(status);
        await MirrorAsync(c => c.UpdateRunAsync(_mlflowRun!.RunId, status, DateTimeOffset.UtcNow, cancellationToken));
    }

    async Task MirrorAsync(Func<MlflowClient, Task> call)
    {
        if (!Mirroring)
            return;
        try
        {
            await call(_mlflow!);
        }
        catch (Exception e) when (e is HttpRequestException or MlflowException or TaskCanceledException or TimeoutException
                                      or Polly.Timeout.TimeoutRejectedException)
        {
            MlflowError = $"MLflow at {_mlflow!.BaseAddress} failed: {e.Message}; the run continues in {_local.Directory}";
            LogMirrorFailed(RunId, MlflowError);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: {Error}")]
    partial void LogMirrorFailed(string runId, string error);
}
