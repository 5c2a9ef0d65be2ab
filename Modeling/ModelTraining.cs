using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// One training run from candles to a verified artifact: features, labels, chronological split with purge
/// gaps, train-only scaler, training, evaluation on the held-out test split, baselines, artifact.
/// Synchronous; run it on a dedicated thread.
/// </summary>
public static class ModelTraining
{
    public static TrainingOutcome Run(string modelName, SeriesKey series, IReadOnlyList<Candle> candles, Hyperparameters hp, Device? device = null,
        Action<EpochProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(hp);
        Check(series, candles, hp);

        var stopwatch = Stopwatch.StartNew();
        device ??= TorchDevices.Best();
        var data = SignalDataset.Build(candles, hp.WindowSize, hp.Labels, null, hp.MaxGapCandles);
        var split = data.Split(hp.TrainFraction, hp.ValidationFraction);
        if (split.Train.Select(s => s.Label).Distinct().Count() < 2)
            throw new TrainingRequestException($"the training split of {series} holds a single class; widen the range or lower the threshold.");

        LeakageGuards.VerifySplit(data, split);
        LeakageGuards.VerifyCausalFeatures(candles, c => FeatureCalculator.Compute(c), data.Features);

        // Several seeds of the same recipe: the one with the best validation loss is served (selection never looks at
        // the test split), and the spread of the test metrics across seeds says how much of a score is the seed's luck.
        using var trained = TrainSeeds(data, split, hp, device, progress, cancellationToken, out var seedMetrics);
        var batch = SignalTrainer.EvaluationBatch(hp);
        var testRaw = Predictor.PredictProbabilities(trained.Model, data, trained.Scaler, split.Test, batch, device);
        var validationRaw = Predictor.PredictProbabilities(trained.Model, data, trained.Scaler, split.Validation, batch, device);

        // Temperature scaling on the validation split; the artifact serves the calibrated probabilities.
        var validationLabels = split.Validation.Select(s => s.Label).ToList();
        var testLabels = split.Test.Select(s => s.Label).ToList();
        var temperature = Calibration.FitTemperature(validationRaw, validationLabels);
        var testProbabilities = testRaw.ToArray();
        var validationProbabilities = validationRaw.ToArray();
        Calibration.Apply(testProbabilities, temperature);
        Calibration.Apply(validationProbabilities, temperature);
        var calibration = new CalibrationInfo(temperature, Calibration.Measure(validationRaw, validationLabels),
            Calibration.Measure(validationProbabilities, validationLabels), Calibration.Measure(testRaw, testLabels),
            Calibration.Measure(testProbabilities, testLabels));

        var backtest = BacktestOptions.From(hp);
        var trainLabels = split.Train.Select(s => s.Label).ToList();
        var test = Evaluation.Evaluate(candles, split.Test, testProbabilities, backtest, trainLabels);
        var validation = Evaluation.Evaluate(candles, split.Validation, validationProbabilities, backtest, trainLabels);
        var baseline = Evaluation.MajorityBaselineMacroF1(split.Train.Select(s => s.Label).ToList(), testLabels);

        var metrics = Metrics(test, validation, baseline, trained.BestEpoch);
        var seeds = SeedSpread.Of(seedMetrics);
        foreach (var (k, v) in seeds.ToMetrics())
            metrics[k] = v;
        metrics["calibration_temperature"] = temperature;
        metrics["ece_uncalibrated"] = calibration.TestBefore.Ece;
        metrics["ece"] = calibration.TestAfter.Ece;

        var trainRows = (First: split.Train.Min(s => s.End) - data.Window + 1, Last: split.Train.Max(s => s.End));
        var dataset = new DatasetRange(candles[0].OpenTime, candles[^1].OpenTime, data.Samples.Count);
        var manifest = new ArtifactManifest
        {
            ModelName = modelName,
            CreatedAt = DateTimeOffset.UtcNow,
            FeatureSpecId = FeatureSpec.OhlcvV1.Id,
            FeatureNames = FeatureSpec.OhlcvV1.Names,
            Scaler = ScalerInfo.From(trained.Scaler),
            Labels = hp.Labels,
            WindowSize = hp.WindowSize,
            HiddenSize = hp.HiddenSize,
            NumLayers = hp.NumLayers,
            Dropout = hp.Dropout,
            Hyperparameters = hp.ToDictionary(),
            Metrics = metrics,
            ConfusionMatrix = test.ConfusionMatrix,
            FeatureBaseline = ModelArtifact.FeatureBaselines(data.Features, FeatureSpec.OhlcvV1, trainRows.First, trainRows.Last),
            PredictionBaseline = ModelArtifact.PredictionBaselineOf(validationProbabilities),
            Calibration = calibration,
            Seeds = hp.Seeds > 1 ? seeds : null,
            Training = new TrainingInfo(series.ToString(), dataset.From, dataset.To, split.Train.Count, split.Validation.Count, split.Test.Count,
                split.Gap, seeds.ServedSeed, device.type.ToString(), trained.BestEpoch, trained.History.Count, stopwatch.Elapsed.TotalSeconds)
            {
                ValidationTo = candles[split.Validation[^1].End + hp.Horizon].OpenTime,
                TestFrom = candles[split.Test[0].End].OpenTime,
                TestTo = candles[split.Test[^1].End].OpenTime,
            },
        };
        var bytes = ModelArtifact.Write(manifest, trained.Model);
        return new TrainingOutcome(bytes, manifest, test, validation, baseline, trained.History, dataset, stopwatch.Elapsed.TotalSeconds)
        {
            InputExample = FeatureWindows.Of(data, split.Test.Skip(Math.Max(0, split.Test.Count - MlflowModel.InputExampleWindows)).ToList()),
        };
    }

    /// <summary>
    /// Trains <see cref="Hyperparameters.Seeds"/> models with seeds Seed, Seed + 1, …; returns the one with the lowest
    /// best validation loss (ties: the first) and, in <paramref name="seedMetrics"/>, every seed's uncalibrated test
    /// macro-F1. Epoch progress is numbered across seeds (seed s's epochs follow seed s − 1's).
    /// </summary>
    static TrainedModel TrainSeeds(SignalDataset data, DataSplit split, Hyperparameters hp, Device device, Action<EpochProgress>? progress,
        CancellationToken cancellationToken, out List<(int Seed, double ValidationLoss, double TestMacroF1)> seedMetrics)
    {
        seedMetrics = [];
        TrainedModel? best = null;
        var bestLoss = double.PositiveInfinity;
        var epochsBefore = 0;
        var testLabels = split.Test.Select(s => s.Label).ToArray();
        try
        {
            for (var s = 0; s < hp.Seeds; s++)
            {
                var seedHp = hp with { Seed = hp.Seed + s };
                var offset = epochsBefore;
                var numbered = progress is null
                    ? null
                    : new Action<EpochProgress>(e => progress(e with { Epoch = e.Epoch + offset, MaxEpochs = hp.Epochs * hp.Seeds }));
                var model = SignalTrainer.Train(data, split, seedHp, device, numbered, cancellationToken);
                epochsBefore += model.History.Count;
                var loss = model.History.Min(e => e.ValidationLoss);
                var probabilities = Predictor.PredictProbabilities(model.Model, data, model.Scaler, split.Test, SignalTrainer.EvaluationBatch(hp), device);
                seedMetrics.Add((seedHp.Seed, loss, Evaluation.Classification(testLabels, SignalClasses.ArgMax(probabilities)).MacroF1));
                if (best is null || loss < bestLoss)
                {
                    best?.Dispose();
                    (best, bestLoss) = (model, loss);
                }
                else
                    model.Dispose();
            }

            return best!;
        }
        catch
        {
            best?.Dispose();
            throw;
        }
    }

    /// <summary>Refuses what training cannot serve: invalid hyperparameters, too few candles.</summary>
    static void Check(SeriesKey series, IReadOnlyList<Candle> candles, Hyperparameters hp)
    {
        var problems = hp.Validate().ToList();
        if (problems.Count > 0)
            throw new TrainingRequestException("invalid hyperparameters: " + string.Join("; ", problems));

        var needed = SignalDataset.CandlesNeeded(hp.MinSamples, hp.WindowSize, hp.Labels);
        if (candles.Count < needed)
            throw new TrainingRequestException(
                $"{series} holds {candles.Count} candles in the requested range; training needs at least {needed} " +
                $"({hp.MinSamples} samples of window {hp.WindowSize}, horizon {hp.Horizon}, feature warm-up {FeatureSpec.OhlcvV1.Warmup}).");
    }

    /// <summary>The validation split's headline figures (the rest of its report is in the run's evaluation artifact).</summary>
    public static readonly string[] ValidationHeadline = ["accuracy", "macro_f1", "log_loss", "samples"];

    /// <summary>
    /// A run's final metrics (docs/modeling.md, "What a run records"): the test split's unprefixed, the validation split's
    /// headline figures prefixed <c>validation_</c>, the training labels' majority class as <c>baseline_majority_macro_f1</c>
    /// (named as the other baselines are), and the epoch kept.
    /// </summary>
    static Dictionary<string, double> Metrics(EvaluationReport test, EvaluationReport validation, double baseline, int bestEpoch)
    {
        var metrics = new Dictionary<string, double>(test.ToMetrics());
        var validationMetrics = validation.ToMetrics();
        foreach (var name in ValidationHeadline)
            metrics["validation_" + name] = validationMetrics[name];
        metrics["baseline_majority_macro_f1"] = baseline;
        metrics["best_epoch"] = bestEpoch;
        return metrics;
    }
}
