using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>Temperature scaling recovers a planted miscalibration and never changes which class wins.</summary>
public sealed class CalibrationTests
{
    /// <summary>Labels drawn from softmax(z); the model reports softmax(z · <paramref name="overconfidence"/>).</summary>
    static (float[] Probabilities, int[] Labels) Miscalibrated(int n, double overconfidence, int seed)
    {
        var random = new Random(seed);
        var probabilities = new float[n * 3];
        var labels = new int[n];
        Span<double> z = stackalloc double[3];
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < 3; c++)
                z[c] = 1.2 * Normal(random);
            var truth = Softmax(z, 1);
            var u = random.NextDouble();
            labels[i] = u < truth[0] ? 0 : u < truth[0] + truth[1] ? 1 : 2;
            var reported = Softmax(z, overconfidence);
            for (var c = 0; c < 3; c++)
                probabilities[i * 3 + c] = (float)reported[c];
        }

        return (probabilities, labels);
    }

    static double[] Softmax(ReadOnlySpan<double> z, double scale)
    {
        var e = new double[z.Length];
        var max = double.NegativeInfinity;
        foreach (var v in z)
            max = Math.Max(max, v * scale);
        for (var c = 0; c < z.Length; c++)
            e[c] = Math.Exp(z[c] * scale - max);
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [TestCase(2.0)]
    [TestCase(0.5)]
    public void Fitted_temperature_recovers_a_planted_over_or_under_confidence(double factor)
    {
        var (probabilities, labels) = Miscalibrated(20_000, factor, seed: 3);
        var t = Calibration.FitTemperature(probabilities, labels);
        Assert.That(t, Is.EqualTo(factor).Within(0.1 * factor), "softmax(z · f) is calibrated again by T = f");

        var before = Calibration.Measure(probabilities, labels);
        var calibrated = probabilities.ToArray();
        Calibration.Apply(calibrated, t);
        var after = Calibration.Measure(calibrated, labels);
        Assert.Multiple(() =>
        {
            Assert.That(after.Ece, Is.LessThan(before.Ece / 3), "ECE falls");
            Assert.That(after.Ece, Is.LessThan(0.02), "a calibrated model's ECE on 20,000 samples is near 0");
            Assert.That(after.LogLoss, Is.LessThan(before.LogLoss));
            Assert.That(SignalClasses.ArgMax(calibrated), Is.EqualTo(SignalClasses.ArgMax(probabilities)), "the winning class never changes");
            Assert.That(after.Table.Sum(b => b.Count), Is.EqualTo(labels.Length));
            for (var i = 0; i < labels.Length; i += 997)
                Assert.That(calibrated[(i * 3)..(i * 3 + 3)].Sum(), Is.EqualTo(1).Within(1e-5));
        });
    }

    [Test]
    public void Calibrated_probabilities_are_left_alone()
    {
        var (probabilities, labels) = Miscalibrated(20_000, 1.0, seed: 5);
        Assert.That(Calibration.FitTemperature(probabilities, labels), Is.EqualTo(1).Within(0.08));
        var copy = probabilities.ToArray();
        Calibration.Apply(copy, 1);
        Assert.That(copy, Is.EqualTo(probabilities), "T = 1 changes nothing, bit for bit");
    }

    [Test]
    public void Invalid_temperatures_and_shapes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Apply(new float[3], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Calibration.Apply(new float[3], double.NaN));
        Assert.Throws<ArgumentException>(() => Calibration.FitTemperature(new float[5], [0, 1]));
        Assert.Throws<ArgumentException>(() => Calibration.Measure(new float[3], []));
    }
}

/// <summary>
/// A run trains several seeds, serves the one with the best validation loss, reports the spread, and serves calibrated
/// probabilities. Structure only: the floats differ between CPUs.
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class SeededCalibratedTrainingTests
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");

    [Test]
    public void A_run_with_three_seeds_serves_the_best_validation_loss_and_reports_the_spread()
    {
        var market = PlantedMarket.Generate(1_500, seed: 11);
        var hp = TrainedModels.Tiny with { Seeds = 3, Epochs = 4, Patience = 4 };
        var outcome = ModelTraining.Run("signal-seeds", Series, market, hp, CPU);
        var seeds = outcome.Manifest.Seeds!;
        var calibration = outcome.Manifest.Calibration!;
        Assert.Multiple(() =>
        {
            Assert.That(seeds.SeedValues, Is.EqualTo(new[] { hp.Seed, hp.Seed + 1, hp.Seed + 2 }));
            Assert.That(seeds.TestMacroF1, Has.Count.EqualTo(3));
            Assert.That(seeds.Mean, Is.EqualTo(seeds.TestMacroF1.Average()).Within(1e-12));
            Assert.That(seeds.Min, Is.LessThanOrEqualTo(seeds.Mean).And.LessThanOrEqualTo(seeds.Max));
            Assert.That(outcome.Manifest.Training.Seed, Is.EqualTo(seeds.ServedSeed));
            Assert.That(outcome.Manifest.Metrics["seed_count"], Is.EqualTo(3));
            Assert.That(outcome.Manifest.Metrics["seed_macro_f1_sd"], Is.EqualTo(seeds.StandardDeviation));
            // Epochs are numbered across seeds: one history, increasing.
            Assert.That(outcome.History.Select(e => e.Epoch), Is.Ordered.Ascending);
            Assert.That(calibration.Temperature, Is.GreaterThan(0));
            Assert.That(calibration.ValidationAfter.LogLoss, Is.LessThanOrEqualTo(calibration.ValidationBefore.LogLoss + 1e-9),
                "the temperature is fitted on validation: its log-loss cannot get worse");
            Assert.That(outcome.Manifest.Metrics["calibration_temperature"], Is.EqualTo(calibration.Temperature));
            Assert.That(outcome.Manifest.Training.ValidationTo, Is.Not.Null.And.LessThan(outcome.Manifest.Training.TestFrom!.Value));
        });

        // Served probabilities are the calibrated ones: the artifact's model, read back, predicts them.
        using var loaded = ModelArtifact.Read(outcome.Artifact, null);
        Assert.That(loaded.Temperature, Is.EqualTo(calibration.Temperature));
    }
}
