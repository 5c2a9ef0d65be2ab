using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Tracking;

public sealed class TrackingOptions
{
    public const string SectionName = "Tracking";

    /// <summary>MLflow tracking server (<c>MLFLOW_TRACKING_URI</c>); unset records runs locally only.</summary>
    public string? MlflowUri { get; set; }

    /// <summary>Where runs and artifacts are recorded locally; every worker that reads artifacts must see it.</summary>
    public string LocalDirectory { get; set; } = Path.Combine(".neuraltrade", "runs");

    public int TimeoutSeconds { get; set; } = 10;

    public int Retries { get; set; } = 3;

    public bool UsesMlflow => !string.IsNullOrWhiteSpace(MlflowUri);
}

public sealed record RunMetric(string Key, double Value, long Step);

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

    public async Task EndAsync(bool succeeded, CancellationToken cancellationToken = default)
    {
        var status = succeeded ? "FINISHED" : "FAILED";
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

/// <summary>
/// The local run format: <c>{dir}/{experiment}/{runId}/run.json</c> (run id, name, status, times, tags, params,
/// the MLflow run it mirrors), <c>metrics.jsonl</c> (one <c>{key, value, step, timestamp}</c> per line) and
/// <c>artifacts/</c>. Writes replace run.json atomically.
/// </summary>
internal sealed class LocalRun
{
    readonly Lock _gate = new();
    readonly JsonObject _run;

    LocalRun(string directory, string experiment, string runId, JsonObject run)
    {
        Directory = directory;
        Experiment = experiment;
        RunId = runId;
        _run = run;
    }

    public string Directory { get; }
    public string Experiment { get; }
    public string RunId { get; }

    public static LocalRun Create(string root, string experiment, string runId, string runName, DateTimeOffset start,
        IReadOnlyDictionary<string, string> tags, JsonObject? mlflow)
    {
        var directory = Path.GetFullPath(Path.Combine(root, Safe(experiment), Safe(runId)));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "artifacts"));
        var run = new JsonObject
        {
            ["runId"] = runId,
            ["experiment"] = experiment,
            ["runName"] = runName,
            ["status"] = "RUNNING",
            ["startTime"] = start.ToString("O"),
            ["tags"] = new JsonObject(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))),
            ["params"] = new JsonObject(),
            ["mlflow"] = mlflow,
        };
        var local = new LocalRun(directory, experiment, runId, run);
        local.Save();
        return local;
    }

    public void SetAll(string section, IReadOnlyDictionary<string, string> values)
    {
        lock (_gate)
        {
            var target = _run[section]!.AsObject();
            foreach (var (k, v) in values)
                target[k] = v;
            Save();
        }
    }

    public void AppendMetrics(IReadOnlyList<RunMetric> metrics, long timestamp)
    {
        lock (_gate)
        {
            File.AppendAllLines(Path.Combine(Directory, "metrics.jsonl"), metrics.Select(m => JsonSerializer.Serialize(new
            {
                key = m.Key, value = double.IsFinite(m.Value) ? m.Value : (double?)null, step = m.Step, timestamp,
            })));
        }
    }

    public string WriteArtifact(string relativePath, byte[] content)
    {
        var path = Path.GetFullPath(Path.Combine(Directory, "artifacts", relativePath));
        if (!path.StartsWith(Path.Combine(Directory, "artifacts"), StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{relativePath}' leaves the run directory", nameof(relativePath));
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public void End(string status)
    {
        lock (_gate)
        {
            _run["status"] = status;
            _run["endTime"] = DateTimeOffset.UtcNow.ToString("O");
            Save();
        }
    }

    void Save()
    {
        var path = Path.Combine(Directory, "run.json");
        File.WriteAllText(path + ".tmp", _run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    static string Safe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
