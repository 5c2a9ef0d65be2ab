using System.Globalization;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

public sealed class FeatureTests
{
    /// <summary>Rows of Reference/indicators.csv, written by an independent Python implementation (make_indicator_reference.py).</summary>
    static (double[][] Ohlcv, double?[][] Expected) Reference()
    {
        var lines = File.ReadAllLines(Path.Combine(TestContext.CurrentContext.TestDirectory, "Reference", "indicators.csv")).Skip(1).ToArray();
        var ohlcv = new double[lines.Length][];
        var expected = new double?[lines.Length][];
        for (var i = 0; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            ohlcv[i] = cells[..5].Select(c => double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            expected[i] = cells[5..].Select(c => c.Length == 0 ? (double?)null : double.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        }

        return (ohlcv, expected);
    }

    [Test]
    public void Indicators_match_the_independent_reference()
    {
        var (ohlcv, expected) = Reference();
        var high = ohlcv.Select(r => r[1]).ToArray();
        var low = ohlcv.Select(r => r[2]).ToArray();
        var close = ohlcv.Select(r => r[3]).ToArray();
        var actual = new[]
        {
            Indicators.Rsi(close, 14), Indicators.MacdHistogram(close, 12, 26, 9), Indicators.Atr(high, low, close, 14),
            Indicators.BollingerPercentB(close, 20, 2),
        };
        string[] names = ["rsi_14", "macd_hist", "atr_14", "bollinger_pb"];

        for (var i = 0; i < close.Length; i++)
        {
            for (var k = 0; k < names.Length; k++)
            {
                if (expected[i][k] is { } e)
                    Assert.That(actual[k][i], Is.EqualTo(e).Within(1e-9), $"{names[k]} at row {i}");
                else
                    Assert.That(actual[k][i], Is.NaN, $"{names[k]} must be undefined at row {i}");
            }
        }
    }

    [Test]
    public void Feature_rows_use_only_the_past()
    {
        var candles = TestCandles.Series(300);
        var changedFuture = candles.Take(200).Concat(TestCandles.Series(100, seed: 99, start: candles[200].OpenTime)).ToList();

        var original = FeatureCalculator.Compute(candles);
        var altered = FeatureCalculator.Compute(changedFuture);

        for (var t = 0; t < 200; t++)
            Assert.That(altered.Row(t).ToArray(), Is.EqualTo(original.Row(t).ToArray()), $"row {t} changed when only candles ≥ 200 changed");
        Assert.That(altered.Row(250).ToArray(), Is.Not.EqualTo(original.Row(250).ToArray()));
    }

    [Test]
    public void Features_are_defined_from_the_warmup_on_and_finite()
    {
        var features = FeatureCalculator.Compute(TestCandles.Series(200));

        Assert.That(features.FirstValid, Is.EqualTo(FeatureSpec.OhlcvV1.Warmup));
        Assert.That(features.Row(FeatureSpec.OhlcvV1.Warmup - 1).ToArray(), Has.All.NaN);
        for (var t = features.FirstValid; t < features.Rows; t++)
            Assert.That(features.Row(t).ToArray(), Has.All.Matches<float>(float.IsFinite), $"row {t}");
    }

    [Test]
    public void Label_looks_only_forward_from_the_window_end()
    {
        var labels = new LabelSpec(Horizon: 3, FixedThreshold: 0.01, VolatilityScale: 0);
        double[] close = [100, 100, 100, 102, 100, 100];
        var vol = new double[close.Length];

        Assert.That(labels.Label(close, vol, 0, out var r0), Is.EqualTo(SignalClasses.Buy));
        Assert.That(r0, Is.EqualTo(0.02).Within(1e-12));
        Assert.That(labels.Label(close, vol, 1, out _), Is.EqualTo(SignalClasses.Hold));
        close[0] = 50; // the past of candle 1 does not matter to its label
        Assert.That(labels.Label(close, vol, 1, out _), Is.EqualTo(SignalClasses.Hold));
        Assert.Throws<ArgumentOutOfRangeException>(() => labels.Label(close, vol, 3, out _));
    }

    [Test]
    public void Split_is_chronological_with_purge_gaps_and_the_scaler_sees_only_training_rows()
    {
        var candles = TestCandles.Series(1_500);
        var data = SignalDataset.Build(candles, window: 30, new LabelSpec(Horizon: 5));
        var split = data.Split(0.7, 0.15);

        Assert.That(split.Train[^1].End + split.Gap, Is.LessThan(split.Validation[0].End));
        Assert.That(split.Validation[^1].End + split.Gap, Is.LessThan(split.Test[0].End));
        Assert.That(split.Gap, Is.GreaterThanOrEqualTo(5));
        // No training label reads a candle the validation split starts from.
        Assert.That(split.Train[^1].End + 5, Is.LessThan(split.Validation[0].End));

        var scaler = data.FitScaler(split.Train);
        var lastTrainRow = split.Train[^1].End;
        var tampered = candles.Take(lastTrainRow + 1)
            .Concat(candles.Skip(lastTrainRow + 1).Select(c => c with { Volume = c.Volume * 50, Close = c.Close * 1.01m, High = c.High * 1.02m }))
            .ToList();
        var tamperedData = SignalDataset.Build(tampered, 30, new LabelSpec(Horizon: 5));
        var tamperedScaler = tamperedData.FitScaler(tamperedData.Split(0.7, 0.15).Train);

        Assert.That(tamperedScaler.Mean, Is.EqualTo(scaler.Mean), "changing data after the training split must not move the scaler");
        Assert.That(tamperedScaler.Std, Is.EqualTo(scaler.Std));
    }

    [Test]
    public void Class_weights_are_inverse_frequencies_of_the_training_labels()
    {
        var train = new[] { 0, 1, 1, 1, 2, 2 }.Select((l, i) => new Sample(i, l, 0, 0)).ToList();

        Assert.That(SignalDataset.ClassWeights(train), Is.EqualTo(new[] { 2f, 2f / 3, 1f }).Within(1e-6));
    }

    [Test]
    public void Hyperparameters_are_overridden_by_name_and_bad_ones_refused()
    {
        var ok = Hyperparameters.Apply(new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["hiddenSize"] = Json("64"), ["LearningRate"] = Json("0.0005"),
        }, out var none);
        var bad = Hyperparameters.Apply(new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["hiddenSize"] = Json("63"), ["layers"] = Json("2"), ["epochs"] = Json("\"many\""),
        }, out var problems);

        Assert.That(none, Is.Empty);
        Assert.That((ok.HiddenSize, ok.LearningRate, ok.WindowSize), Is.EqualTo((64, 0.0005, 60)));
        Assert.That(problems, Has.Some.Contains("hiddenSize 63").And.Some.Contains("unknown hyperparameter 'layers'")
            .And.Some.Contains("'epochs' must be an integer"));
        _ = bad;
    }

    static System.Text.Json.JsonElement Json(string raw) => System.Text.Json.JsonDocument.Parse(raw).RootElement;
}
