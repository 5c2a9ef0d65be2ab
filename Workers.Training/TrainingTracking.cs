using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Reporting;
using NeuralTrade.Events.Tracking;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// What a training run records in MLflow (or locally, when MLflow is not configured or not answering): tags when it
/// opens (MLflow's own <c>mlflow.user</c> and <c>mlflow.source.*</c> among them), the hyperparameters, each epoch's
/// losses and learning rate, then the artifact, the final metrics and the artifact's tags, the calibration and the
/// plots, and last the run's description (<c>mlflow.note.content</c>) before it ends.
/// </summary>
internal static partial class TrainingTracking
{
    /// <summary>What <c>mlflow.source.name</c> says: the program that ran the run.</summary>
    public const string SourceName = "NeuralTrade.Events.Workers.Training";

    /// <summary>Where a run's description lives in MLflow (the UI shows and edits it as the run's description, in Markdown).</summary>
    public const string NoteTag = "mlflow.note.content";

    /// <summary>The run's calibration (the manifest's <see cref="CalibrationInfo"/>), as indented JSON.</summary>
    public const string CalibrationArtifact = "calibration.json";

    /// <summary>
    /// The run's evaluation as data: for the test and validation splits, the confusion matrix (rows the true class,
    /// columns the predicted, in <see cref="SignalClasses.Names"/> order) and every metric of the split, the
    /// validation split's included in full (the run's metrics keep only its headline figures).
    /// </summary>
    public const string EvaluationArtifact = "evaluation.json";

    /// <summary>The plots every run leaves under <c>plots/</c>.</summary>
    public const string LearningCurvesPlot = "plots/learning_curves.png", ConfusionMatrixPlot = "plots/confusion_matrix.png",
        ReliabilityPlot = "plots/reliability.png", EquityCurvesPlot = "plots/equity_curves.png";

    static readonly string GitCommit = Environment.GetEnvironmentVariable("NEURALTRADE_GIT_COMMIT")
        ?? typeof(TrainingTracking).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')
            .ElementAtOrDefault(1)
        ?? "unknown";

    static readonly JsonSerializerOptions IndentedJson = new(ContractJson.Options)
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The tags of a training run, which its walk-forward's fold runs share: what it trains and where, and MLflow's
    /// system tags for who ran it and from what (<c>mlflow.user</c>, <c>mlflow.source.name</c>, <c>mlflow.source.type</c>
    /// JOB, <c>mlflow.source.git.commit</c>).
    /// </summary>
    public static Dictionary<string, string> RunTags(TrainingRequested request, int attempt, SeriesKey series, Hyperparameters hp, Device device) => new()
    {
        ["neuraltrade.request_id"] = request.RequestId.ToString(),
        ["neuraltrade.series"] = series.ToString(),
        ["neuraltrade.reason"] = request.Reason,
        ["neuraltrade.attempt"] = attempt.ToString(CultureInfo.InvariantCulture),
        ["feature_spec"] = FeatureSpec.OhlcvV1.Id,
        ["seed"] = hp.Seed.ToString(CultureInfo.InvariantCulture),
        ["device"] = device.type.ToString(),
        ["mlflow.user"] = Environment.UserName,
        ["mlflow.source.name"] = SourceName,
        ["mlflow.source.type"] = "JOB",
        ["mlflow.source.git.commit"] = GitCommit,
    };

    public static Task<TrackedRun> StartTrainingRunAsync(this RunTracker tracker, TrainingRequested request, int attempt, SeriesKey series,
        string modelName, Hyperparameters hp, Device device, CancellationToken cancellationToken) =>
        tracker.StartRunAsync(modelName, $"{modelName}-{request.RequestId.ToString("N")[..8]}-a{attempt}", RunTags(request, attempt, series, hp, device),
            cancellationToken);

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
    /// Stores the artifact and logs the final (finite) metrics, and tags the run with the artifact's uri and digest. The
    /// digest is the one computed where the artifact is stored; the bytes are hashed once.
    /// </summary>
    public static async Task<(ArtifactRef Artifact, Dictionary<string, double> Metrics)> LogTrainingResultAsync(this TrackedRun run,
        string modelName, TrainingOutcome outcome, CancellationToken cancellationToken)
    {
        var artifact = await run.LogArtifactAsync($"model/{modelName}{ModelArtifact.FileExtension}", outcome.Artifact, cancellationToken);
        var metrics = Finite(outcome.Manifest.Metrics);
        await run.LogMetricsAsync(metrics.Select(m => new RunMetric(m.Key, m.Value, outcome.History.Count)).ToList(), cancellationToken);
        await run.SetTagsAsync(new Dictionary<string, string> { ["artifact.uri"] = artifact.Uri, ["artifact.sha256"] = artifact.Sha256 },
            cancellationToken);
        return (artifact, metrics);
    }

    /// <summary>
    /// Logs the MLflow model directory (<see cref="MlflowModel"/>) under <see cref="MlflowModel.ArtifactPath"/>, beside
    /// the <c>.ntm</c> artifact, built from that artifact's bytes: what <c>mlflow.pyfunc.load_model</c> loads. It is derived
    /// from the artifact the fleet serves, so a failure to build or store it is logged and tagged
    /// (<c>neuraltrade.mlflow_model.error</c>) and does not fail the training.
    /// </summary>
    public static async Task LogMlflowModelAsync(this TrackedRun run, TrainingOutcome outcome, ILogger logger, CancellationToken cancellationToken)
    {
        IReadOnlyList<MlflowModelFile> files;
        try
        {
            if (outcome.InputExample is not { } example)
                throw new InvalidOperationException("the training outcome has no input example");
            using var model = ModelArtifact.Read(outcome.Artifact, expectedSha256: null);
            files = MlflowModel.Build(model, example, run.RunId, DateTimeOffset.UtcNow, Guid.NewGuid());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogMlflowModelFailed(logger, e, run.RunId);
            await run.SetTagsAsync(new Dictionary<string, string> { [MlflowModelErrorTag] = e.Message }, cancellationToken);
            return;
        }

        foreach (var file in files)
            await run.LogArtifactAsync($"{MlflowModel.ArtifactPath}/{file.Path}", file.Content, cancellationToken);
    }

    /// <summary>The tag a run gets when its MLflow model directory could not be built.</summary>
    public const string MlflowModelErrorTag = "neuraltrade.mlflow_model.error";

    /// <summary>
    /// Logs <see cref="CalibrationArtifact"/> (where the manifest has a calibration), <see cref="EvaluationArtifact"/> and the plots: learning curves,
    /// the test confusion matrix, the test reliability before and after calibration, and the test equity against
    /// buy-and-hold. A plot that cannot be drawn or stored is logged and left out: plots never fail a training.
    /// </summary>
    public static async Task LogTrainingReportAsync(this TrackedRun run, TrainingOutcome outcome, ILogger logger, CancellationToken cancellationToken)
    {
        if (outcome.Manifest.Calibration is { } calibration)
            await run.LogArtifactAsync(CalibrationArtifact, JsonSerializer.SerializeToUtf8Bytes(calibration, IndentedJson), cancellationToken);
        await run.LogArtifactAsync(EvaluationArtifact, JsonSerializer.SerializeToUtf8Bytes(new
        {
            classes = SignalClasses.Names,
            test = Split(outcome.Test),
            validation = Split(outcome.Validation),
        }, IndentedJson), cancellationToken);

        static object Split(EvaluationReport report) => new
        {
            confusionMatrix = report.ConfusionMatrix,
            metrics = Finite(report.ToMetrics()),
        };
        foreach (var (path, draw) in PlotArtifacts(outcome))
        {
            try
            {
                await run.LogArtifactAsync(path, draw(), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPlotFailed(logger, e, run.RunId, path);
            }
        }
    }

    /// <summary>Each plot's artifact path and how to draw it (drawn when stored, so one failing leaves the others).</summary>
    internal static IEnumerable<(string Path, Func<byte[]> Draw)> PlotArtifacts(TrainingOutcome outcome)
    {
        var test = outcome.Test;
        yield return (LearningCurvesPlot, () => Plots.LearningCurves(outcome.History, title: "Learning curves (served seed)",
            bestEpoch: outcome.Manifest.Training.BestEpoch));
        yield return (ConfusionMatrixPlot, () => Plots.ConfusionMatrix(test.ConfusionMatrix, title: "Confusion matrix (test split)"));
        if (outcome.Manifest.Calibration is { } c)
            yield return (ReliabilityPlot, () => Plots.Reliability(c.TestBefore, c.TestAfter,
                title: string.Create(CultureInfo.InvariantCulture, $"Reliability on the test split (temperature {c.Temperature:F2})")));
        yield return (EquityCurvesPlot, () =>
        {
            var curves = new List<EquitySeries> { EquitySeries.Of("model", test.Backtest) };
            curves.AddRange(test.Baselines.Where(b => b.Name == Baselines.BuyAndHold).Select(b => EquitySeries.Of(b.Name, b.Backtest)));
            return Plots.EquityCurves(curves, title: "Test split: equity net of costs");
        });
    }

    /// <summary>Sets the run's description (<see cref="NoteTag"/>) and ends it as finished.</summary>
    public static async Task FinishTrainingRunAsync(this TrackedRun run, string note, CancellationToken cancellationToken)
    {
        await run.SetTagsAsync(new Dictionary<string, string> { [NoteTag] = note }, cancellationToken);
        await run.EndAsync(true, cancellationToken);
    }

    /// <summary>
    /// The run's description in Markdown: the series and why it was trained, the recipe, the seeds (the one served and
    /// the spread of their test macro-F1), the calibration temperature and, where one ran, the walk-forward's verdict.
    /// </summary>
    public static string Note(TrainingRequested request, SeriesKey series, Hyperparameters hp, TrainingOutcome outcome, WalkForwardReport? walkForward)
    {
        var c = CultureInfo.InvariantCulture;
        var m = outcome.Manifest;
        var s = new StringBuilder();
        s.AppendLine(c, $"Signal model for **{series}**, trained because: {request.Reason}.");
        s.AppendLine();
        s.AppendLine(c, $"Recipe: LSTM {hp.NumLayers} × {hp.HiddenSize} over windows of {hp.WindowSize} bars (dropout {hp.Dropout}); labels " +
            $"{hp.Horizon} bars ahead, threshold max({hp.FixedThreshold}, {hp.VolatilityScale} σ); up to {hp.Epochs} epochs (patience {hp.Patience}), " +
            $"batch {hp.BatchSize}, learning rate {hp.LearningRate}, weight decay {hp.WeightDecay}; splits {hp.TrainFraction} / " +
            $"{hp.ValidationFraction} / rest with a purge of {hp.Horizon}; costs {hp.CostBps} bps.");
        s.AppendLine();
        if (m.Seeds is { } seeds)
            s.AppendLine(c, $"Seeds: {seeds.SeedValues.Count} ({string.Join(", ", seeds.SeedValues)}); served seed {seeds.ServedSeed} (best validation " +
                $"loss). Test macro-F1 across seeds: mean {seeds.Mean:F3}, sd {seeds.StandardDeviation:F3}, min {seeds.Min:F3}, max {seeds.Max:F3}.");
        else
            s.AppendLine(c, $"Seeds: 1; served seed {m.Training.Seed} (no spread with one seed).");
        s.AppendLine();
        s.AppendLine(m.Calibration is { } cal
            ? string.Create(c, $"Calibration: temperature {cal.Temperature:F3}; test ECE {cal.TestBefore.Ece:F3} before, {cal.TestAfter.Ece:F3} after; " +
                $"test log-loss {cal.TestBefore.LogLoss:F3} before, {cal.TestAfter.LogLoss:F3} after.")
            : "Calibration: none recorded.");
        if (walkForward is not null)
        {
            s.AppendLine();
            s.AppendLine(c, $"Walk-forward: {walkForward.Folds.Count} folds (the child runs); pooled test macro-F1 {walkForward.Aggregate.MacroF1.Estimate:F3} " +
                $"[{walkForward.Aggregate.MacroF1.Lower:F3}, {walkForward.Aggregate.MacroF1.Upper:F3}]; {walkForward.Aggregate.Verdict}.");
        }

        return s.ToString().TrimEnd();
    }

    /// <summary>The finite ones: metrics travel as JSON and MLflow takes numbers only.</summary>
    public static Dictionary<string, double> Finite(IEnumerable<KeyValuePair<string, double>> metrics) =>
        metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: its MLflow model directory could not be built; the run goes on with the .ntm artifact only")]
    static partial void LogMlflowModelFailed(ILogger logger, Exception e, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: the plot {Path} could not be drawn or stored; the run goes on without it")]
    static partial void LogPlotFailed(ILogger logger, Exception e, string runId, string path);
}
