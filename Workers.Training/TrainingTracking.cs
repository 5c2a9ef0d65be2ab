using System.Globalization;
using System.Reflection;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// What a training run records in MLflow (or locally, when MLflow is not configured or not answering): tags when it
/// opens, the hyperparameters, each epoch's losses and learning rate, then the artifact, the final metrics and the
/// artifact's tags before it ends.
/// </summary>
internal static class TrainingTracking
{
    static readonly string GitCommit = Environment.GetEnvironmentVariable("NEURALTRADE_GIT_COMMIT")
        ?? typeof(TrainingTracking).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')
            .ElementAtOrDefault(1)
        ?? "unknown";

    public static Task<TrackedRun> StartTrainingRunAsync(this RunTracker tracker, TrainingRequested request, int attempt, SeriesKey series,
        string modelName, Hyperparameters hp, Device device, CancellationToken cancellationToken) =>
        tracker.StartRunAsync(modelName, $"{modelName}-{request.RequestId.ToString("N")[..8]}-a{attempt}", new Dictionary<string, string>
        {
            ["neuraltrade.request_id"] = request.RequestId.ToString(),
            ["neuraltrade.series"] = series.ToString(),
            ["neuraltrade.reason"] = request.Reason,
            ["neuraltrade.attempt"] = attempt.ToString(CultureInfo.InvariantCulture),
            ["feature_spec"] = FeatureSpec.OhlcvV1.Id,
            ["seed"] = hp.Seed.ToString(CultureInfo.InvariantCulture),
            ["device"] = device.type.ToString(),
            ["mlflow.source.git.commit"] = GitCommit,
        }, cancellationToken);

    public static Task LogTrainingParamsAsync(this TrackedRun run, Hyperparameters hp, SeriesKey series, CancellationToken cancellationToken) =>
        run.LogParamsAsync(hp.ToDictionary().Append(KeyValuePair.Create("series", series.ToString()))
            .ToDictionary(kv => kv.Key, kv => kv.Value), cancellationToken);

    /// <summary>Logs one epoch; not cancellable, so an epoch that was trained is also recorded.</summary>
    public static Task LogEpochAsync(this TrackedRun run, EpochProgress epoch) =>
        run.LogMetricsAsync([
            new RunMetric("train_loss", epoch.TrainLoss, epoch.Epoch),
            new RunMetric("validation_loss", epoch.ValidationLoss, epoch.Epoch),
            new RunMetric("learning_rate", epoch.LearningRate, epoch.Epoch),
        ], CancellationToken.None);

    /// <summary>
    /// Stores the artifact and the final (finite) metrics, tags the run with the artifact's uri and digest and ends it
    /// as finished. The digest is the one computed where the artifact is stored; the bytes are hashed once.
    /// </summary>
    public static async Task<(ArtifactRef Artifact, Dictionary<string, double> Metrics)> FinishTrainingRunAsync(this TrackedRun run,
        string modelName, TrainingOutcome outcome, CancellationToken cancellationToken)
    {
        var artifact = await run.LogArtifactAsync($"model/{modelName}{ModelArtifact.FileExtension}", outcome.Artifact, cancellationToken);
        var metrics = outcome.Manifest.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value);
        await run.LogMetricsAsync(metrics.Select(m => new RunMetric(m.Key, m.Value, outcome.History.Count)).ToList(), cancellationToken);
        await run.SetTagsAsync(new Dictionary<string, string> { ["artifact.uri"] = artifact.Uri, ["artifact.sha256"] = artifact.Sha256 },
            cancellationToken);
        await run.EndAsync(true, cancellationToken);
        return (artifact, metrics);
    }
}
