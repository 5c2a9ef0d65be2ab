using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The model learns a planted pattern and does not cheat: it beats the majority-class baseline on the held-out
/// test split, and with shuffled training labels it falls to chance (the leakage control). Small sizes of the
/// same model keep it fast on 2 CPU cores; seeds make it deterministic.
/// </summary>
[NonParallelizable]
public sealed class ModelLearningTests
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");

    static readonly Hyperparameters Small = new()
    {
        WindowSize = 20, HiddenSize = 16, NumLayers = 1, Dropout = 0.1, Epochs = 15, BatchSize = 64, LearningRate = 3e-3, Patience = 5,
        Seed = 7, MinSamples = 100, Horizon = 5, FixedThreshold = 0.006, VolatilityScale = 0,
    };

    static List<NeuralTrade.Events.Contracts.Candle> _market = null!;
    static TrainingOutcome _outcome = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        set_num_threads(1);
        _market = PlantedMarket.Generate(4_000, seed: 11);
        _outcome = ModelTraining.Run("signal-test", Series, _market, Small, CPU);
        TestContext.Out.WriteLine($"planted: test macro-F1 {_outcome.Test.MacroF1:F3} vs majority baseline {_outcome.MajorityBaselineMacroF1:F3}, " +
            $"accuracy {_outcome.Test.Accuracy:F3}, best epoch {_outcome.Manifest.Training.BestEpoch}/{_outcome.History.Count}");
    }

    [Test]
    public void Model_beats_the_majority_baseline_on_a_planted_pattern()
    {
        TestContext.Out.WriteLine($"planted: test macro-F1 {_outcome.Test.MacroF1:F3} vs majority baseline {_outcome.MajorityBaselineMacroF1:F3}");
        Assert.That(_outcome.Test.MacroF1, Is.GreaterThan(_outcome.MajorityBaselineMacroF1 + 0.15));
        Assert.That(_outcome.Test.Recall[SignalClasses.Buy], Is.GreaterThan(0.3));
        Assert.That(_outcome.Test.Recall[SignalClasses.Sell], Is.GreaterThan(0.3));
    }

    [Test]
    public void With_shuffled_training_labels_the_model_falls_to_chance()
    {
        var data = SignalDataset.Build(_market, Small.WindowSize, Small.Labels);
        var split = data.Split(Small.TrainFraction, Small.ValidationFraction);
        var labels = split.Train.Select(s => s.Label).ToArray();
        new Random(5).Shuffle(labels);
        var shuffled = split with { Train = split.Train.Select((s, i) => s with { Label = labels[i] }).ToList() };

        using var trained = SignalTrainer.Train(data, shuffled, Small, CPU);
        var probabilities = SignalTrainer.PredictProbabilities(trained.Model, data, trained.Scaler, split.Test, 256, CPU);
        var report = Evaluation.Evaluate(split.Test.Select(s => s.Label).ToList(), probabilities, split.Test.Select(s => s.NextReturn).ToList(), 0,
            TimeSpan.FromMinutes(1));
        TestContext.Out.WriteLine($"shuffled: test macro-F1 {report.MacroF1:F3} (real labels: {_outcome.Test.MacroF1:F3})");

        Assert.That(report.MacroF1, Is.LessThan(0.42), "a model trained on noise must not predict the test split");
        Assert.That(report.MacroF1, Is.LessThan(_outcome.Test.MacroF1 - 0.2));
    }

    [Test]
    public void Tiny_seeded_run_has_the_golden_loss()
    {
        var tiny = Small with { WindowSize = 16, HiddenSize = 8, Epochs = 2, BatchSize = 32, Seed = 3, Patience = 10 };
        var data = SignalDataset.Build(_market.Take(700).ToList(), tiny.WindowSize, tiny.Labels);
        var split = data.Split(tiny.TrainFraction, tiny.ValidationFraction);

        using var trained = SignalTrainer.Train(data, split, tiny, CPU);
        var last = trained.History[^1];
        TestContext.Out.WriteLine($"golden: train {last.TrainLoss:R} validation {last.ValidationLoss:R}");

        Assert.That(trained.History, Has.Count.EqualTo(2));
        Assert.That(last.TrainLoss, Is.EqualTo(GoldenTrainLoss).Within(2e-3).Percent);
        Assert.That(last.ValidationLoss, Is.EqualTo(GoldenValidationLoss).Within(2e-3).Percent);
    }

    // Pinned from a run on this repository's CPU build (TorchSharp-cpu 0.107.0, libtorch 2.10, one thread).
    const double GoldenTrainLoss = 1.1010250905926309;
    const double GoldenValidationLoss = 1.0804950100181065;

    [Test]
    public void Validation_loss_does_not_depend_on_the_evaluation_batch_size()
    {
        var data = SignalDataset.Build(_market.Take(1_000).ToList(), Small.WindowSize, Small.Labels);
        var split = data.Split(Small.TrainFraction, Small.ValidationFraction);
        using var trained = SignalTrainer.Train(data, split, Small with { Epochs = 1 }, CPU);
        using var weights = tensor(SignalDataset.ClassWeights(split.Train));

        var whole = SignalTrainer.Loss(trained.Model, weights, data, trained.Scaler, split.Validation, split.Validation.Count, CPU);
        var small = SignalTrainer.Loss(trained.Model, weights, data, trained.Scaler, split.Validation, 7, CPU);

        Assert.That(small, Is.EqualTo(whole).Within(1e-4).Percent, "float32 sums differ in the last digits only");
    }

    [Test]
    public void Artifact_round_trips_and_a_tampered_one_is_refused()
    {
        using var loaded = ModelArtifact.Read(_outcome.Artifact, _outcome.Sha256);
        var data = SignalDataset.Build(_market, Small.WindowSize, Small.Labels);
        var test = data.Split(Small.TrainFraction, Small.ValidationFraction).Test.Take(50).ToList();
        var fromArtifact = SignalTrainer.PredictProbabilities(loaded.Model, data, loaded.Scaler, test, 64, CPU);
        var again = ModelArtifact.Read(_outcome.Artifact, null);
        var second = SignalTrainer.PredictProbabilities(again.Model, data, again.Scaler, test, 64, CPU);
        again.Dispose();

        Assert.That(loaded.Manifest.FeatureSpecId, Is.EqualTo("ohlcv-v1"));
        Assert.That(loaded.Manifest.FeatureBaseline, Has.Count.EqualTo(10));
        Assert.That(loaded.Manifest.Metrics["macro_f1"], Is.EqualTo(_outcome.Test.MacroF1));
        Assert.That(loaded.Scaler.Mean, Is.EqualTo(_outcome.Manifest.Scaler.Mean));
        Assert.That(fromArtifact, Is.EqualTo(second));
        Assert.That(fromArtifact.Chunk(3).Select(p => p.Sum()), Has.All.EqualTo(1f).Within(1e-4));
        Assert.That(ModelArtifact.Write(loaded.Manifest, loaded.Model), Is.EqualTo(_outcome.Artifact), "the same model writes the same bytes");

        var tampered = _outcome.Artifact.ToArray();
        tampered[tampered.Length / 2] ^= 0x5A;
        Assert.Throws<ArtifactIntegrityException>(() => ModelArtifact.Read(tampered, _outcome.Sha256));
    }

    [Test]
    public void Training_leaves_no_tensors_behind_per_epoch()
    {
        long LiveAfter(int epochs)
        {
            var hp = Small with { Epochs = epochs, Patience = 100, HiddenSize = 8 };
            var data = SignalDataset.Build(_market.Take(800).ToList(), hp.WindowSize, hp.Labels);
            var split = data.Split(hp.TrainFraction, hp.ValidationFraction);
            var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            using var trained = SignalTrainer.Train(data, split, hp, CPU);
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }

        var two = LiveAfter(2);
        var five = LiveAfter(5);

        Assert.That(five, Is.EqualTo(two), "live tensors must not grow with the number of epochs");
    }
}
