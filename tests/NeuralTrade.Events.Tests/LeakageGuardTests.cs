using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The guards every training run passes can fail: a planted feature that reads the next candle, and a label that
/// straddles the split, are each caught; the real features and split pass.
/// </summary>
public sealed class LeakageGuardTests
{
    static readonly List<Candle> Market = PlantedMarket.Generate(800, seed: 4);

    /// <summary>ohlcv-v1 with its log return replaced by the next candle's: a feature from the future.</summary>
    static FeatureMatrix WithLeakedFeature(IReadOnlyList<Candle> candles)
    {
        var features = FeatureCalculator.Compute(candles);
        for (var t = features.FirstValid; t < features.Rows; t++)
        {
            features.Values[t * features.Columns] = t + 1 < candles.Count
                ? (float)Math.Log((double)candles[t + 1].Close / (double)candles[t].Close)
                : 0f;
        }

        return features;
    }

    [Test]
    public void A_feature_that_reads_the_next_candle_is_caught()
    {
        var leaked = WithLeakedFeature(Market);
        var e = Assert.Throws<LeakageException>(() => LeakageGuards.VerifyCausalFeatures(Market, WithLeakedFeature, leaked));
        Assert.That(e!.Message, Does.Contain("column 0").And.Contain("reads candles after"));
    }

    [Test]
    public void The_shared_features_are_causal()
    {
        Assert.DoesNotThrow(() => LeakageGuards.VerifyCausalFeatures(Market, c => FeatureCalculator.Compute(c), FeatureCalculator.Compute(Market)));
    }

    [Test]
    public void A_label_that_straddles_the_split_is_caught()
    {
        var data = SignalDataset.Build(Market, 20, new LabelSpec(Horizon: 5));
        var split = data.Split();
        Assert.DoesNotThrow(() => LeakageGuards.VerifySplit(data, split), "the purged split passes");

        // Move the first validation window's predecessor into training: its label reads 4 candles into validation's labels.
        var straddling = split with { Train = [.. split.Train, .. data.Samples.Where(s => s.End == split.Validation[0].End - 1)] };
        var e = Assert.Throws<LeakageException>(() => LeakageGuards.VerifySplit(data, straddling));
        Assert.That(e!.Message, Does.Contain("train").And.Contain("validation").And.Contain("purge at least 5"));

        var unordered = split with { Test = [split.Train[0]] };
        Assert.Throws<LeakageException>(() => LeakageGuards.VerifySplit(data, unordered), "a test window before training is caught too");
    }
}
