using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The model learns a planted pattern and does not cheat: it beats the majority-class baseline on the held-out
/// test split, and with shuffled training labels it falls to chance (the leakage control). Each claim is a median over
/// five seeds, with a margin that held for every seed on two CPU dispatch settings (docs/testing.md, "Numerics"): one
/// training's score is one draw, and libtorch's floats differ between CPUs. Small sizes keep it fast on 2 cores.
/// </summary>
/// <remarks>
/// The recipe is <see cref="TrainedModels.Tiny"/> with hidden size 32, not 16: on an AMD EPYC (Zen 4, AVX-512) oneDNN's
/// LSTM inference kernel computes another function than the training kernel for hidden 16, so a hidden-16 model is
/// scored as a model it was not trained as there (<see cref="LstmKernelTests"/> checks the kernels and fails on such a
/// machine; this fixture tests the learning, that one the kernel).
/// </remarks>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class ModelLearningTests
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");

    static readonly Hyperparameters Small = TrainedModels.Tiny with { HiddenSize = 32 };

    static readonly int[] Seeds = [.. new[] { 1, 2, 3, 4, 5 }.Select(TestSeeds.Of)];

    static List<NeuralTrade.Events.Contracts.Candle> _market = null!;
    static List<(int Seed, TrainingOutcome Outcome, double Shuffled)> _runs = null!;
    static TrainingOutcome _outcome = null!;

    [OneTimeSetUp]
    public void TrainOncePerSeed()
    {
        set_num_threads(1);
        _market = PlantedMarket.Generate(4_000, seed: 11);
        _runs = [.. Seeds.Select(seed => (seed, ModelTraining.Run("signal-test", Series, _market, Small with { Seed = seed }, CPU), ShuffledMacroF1(seed)))];
        _outcome = _runs[0].Outcome;
        foreach (var (seed, outcome, shuffled) in _runs)
            TestContext.Progress.WriteLine($"seed {seed}: test macro-F1 {outcome.Test.MacroF1:F3} (shuffled labels {shuffled:F3}) vs majority baseline " +
                $"{outcome.MajorityBaselineMacroF1:F3}, recall sell {outcome.Test.Recall[SignalClasses.Sell]:F2} buy {outcome.Test.Recall[SignalClasses.Buy]:F2}, " +
                $"best epoch {outcome.Manifest.Training.BestEpoch}/{outcome.History.Count}");
    }

    /// <summary>The same recipe and seed, trained on labels shuffled within the training split; scored on the real test labels.</summary>
    static double ShuffledMacroF1(int seed)
    {
        var hp = Small with { Seed = seed };
        var data = SignalDataset.Build(_market, hp.WindowSize, hp.Labels);
        var split = data.Split(hp.TrainFraction, hp.ValidationFraction);
        var labels = split.Train.Select(s => s.Label).ToArray();
        new Random(seed).Shuffle(labels);
        var shuffled = split with { Train = split.Train.Select((s, i) => s with { Label = labels[i] }).ToList() };

        using var trained = SignalTrainer.Train(data, shuffled, hp, CPU);
        var probabilities = Predictor.PredictProbabilities(trained.Model, data, trained.Scaler, split.Test, 256, CPU);
        return Evaluation.Evaluate(_market, split.Test, probabilities, BacktestOptions.From(hp)).MacroF1;
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static string Measured(Func<(int Seed, TrainingOutcome Outcome, double Shuffled), double> figure) =>
        "measured over seeds " + string.Join(", ", _runs.Select(r => $"{r.Seed}: {figure(r):F3}"));

    [Test]
    public void Model_beats_the_majority_baseline_on_a_planted_pattern()
    {
        var f1 = Median(_runs.Select(r => r.Outcome.Test.MacroF1));
        var baseline = Median(_runs.Select(r => r.Outcome.MajorityBaselineMacroF1));
        TestContext.Out.WriteLine($"median test macro-F1 {f1:F3} vs majority baseline {baseline:F3}; {Measured(r => r.Outcome.Test.MacroF1)}");

        Assert.That(f1, Is.GreaterThan(baseline + 0.15),
            $"median test macro-F1 {f1:F3} vs majority baseline {baseline:F3}; {Measured(r => r.Outcome.Test.MacroF1)}");
        Assert.That(Median(_runs.Select(r => r.Outcome.Test.Recall[SignalClasses.Buy])), Is.GreaterThan(0.3),
            $"median recall of buy; {Measured(r => r.Outcome.Test.Recall[SignalClasses.Buy])}");
        Assert.That(Median(_runs.Select(r => r.Outcome.Test.Recall[SignalClasses.Sell])), Is.GreaterThan(0.3),
            $"median recall of sell; {Measured(r => r.Outcome.Test.Recall[SignalClasses.Sell])}");
    }

    [Test]
    public void With_shuffled_training_labels_the_model_falls_to_chance()
    {
        var shuffled = Median(_runs.Select(r => r.Shuffled));
        var real = Median(_runs.Select(r => r.Outcome.Test.MacroF1));
        TestContext.Out.WriteLine($"median macro-F1 with shuffled labels {shuffled:F3} vs real labels {real:F3}; {Measured(r => r.Shuffled)}");

        Assert.That(shuffled, Is.LessThan(0.40), $"a model trained on noise must not predict the test split; {Measured(r => r.Shuffled)}");
        Assert.That(shuffled, Is.LessThan(real - 0.15), $"median macro-F1 with shuffled labels {shuffled:F3} vs real labels {real:F3}");
    }

    [Test]
    public void The_same_seed_trains_the_same_model_bit_for_bit_and_another_seed_does_not()
    {
        // What is deterministic: one machine, one seed, one thread. Not the same floats on another CPU (see
        // PinnedNumericsTests for a golden run under pinned numerics).
        var tiny = Small with { WindowSize = 16, HiddenSize = 8, Epochs = 2, BatchSize = 32, Patience = 10 };
        var data = SignalDataset.Build(_market.Take(700).ToList(), tiny.WindowSize, tiny.Labels);
        var split = data.Split(tiny.TrainFraction, tiny.ValidationFraction);
        (double, double)[] Losses(int seed)
        {
            using var trained = SignalTrainer.Train(data, split, tiny with { Seed = seed }, CPU);
            return [.. trained.History.Select(h => (h.TrainLoss, h.ValidationLoss))];
        }

        var first = Losses(Seeds[0]);
        var again = Losses(Seeds[0]);
        var other = Losses(Seeds[1]);

        Assert.That(first, Has.Length.EqualTo(2));
        Assert.That(again, Is.EqualTo(first), "the same seed on the same machine gives the same losses, to the last bit");
        Assert.That(other, Is.Not.EqualTo(first), "another seed gives another model");
    }

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
        var fromArtifact = Predictor.PredictProbabilities(loaded.Model, data, loaded.Scaler, test, 64, CPU);
        var again = ModelArtifact.Read(_outcome.Artifact, null);
        var second = Predictor.PredictProbabilities(again.Model, data, again.Scaler, test, 64, CPU);
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
