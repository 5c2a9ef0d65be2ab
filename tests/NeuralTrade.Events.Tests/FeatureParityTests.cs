using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// A served window (from the store or a caller's candles) has the features training computed for the same candles,
/// within <see cref="ServingWindow.ParityTolerance"/> σ, because every served window has <see cref="ServingWindow.IndicatorHistory"/>
/// candles of history; shorter windows are refused. Without that history the skew is large (the reason for the rule).
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class FeatureParityTests
{
    /// <summary>Largest |served − training| over the window's scaled features, for windows ending at several candles.</summary>
    static double WorstSkew(LoadedModel model, IReadOnlyList<Candle> market, int candlesGiven)
    {
        var window = model.Manifest.WindowSize;
        var features = FeatureCalculator.Compute(market, model.FeatureSpec);
        var worst = 0.0;
        foreach (var end in new[] { 1_200, 1_700, 2_300, 2_900 })
        {
            var training = features.Values.AsSpan((end - window + 1) * features.Columns, window * features.Columns).ToArray();
            model.Scaler.TransformInPlace(training);
            var served = ServingWindow.Latest(model, market.Skip(end + 1 - candlesGiven).Take(candlesGiven).ToList());
            for (var i = 0; i < served.Length; i++)
                worst = Math.Max(worst, Math.Abs(served[i] - training[i]));
        }

        return worst;
    }

    [Test]
    public void A_served_window_with_the_required_history_matches_training_within_the_stated_tolerance()
    {
        using var model = ModelArtifact.Read(TrainedModels.Outcome.Artifact, null);
        var needed = ServingWindow.CandlesNeeded(model);
        var skew = WorstSkew(model, TrainedModels.Market, needed);
        TestContext.Progress.WriteLine($"largest scaled-feature difference with {needed} candles: {skew:E2} σ; with the store's " +
            $"{ServingWindow.CandlesWanted(model)}: {WorstSkew(model, TrainedModels.Market, ServingWindow.CandlesWanted(model)):E2} σ");
        Assert.That(skew, Is.LessThanOrEqualTo(ServingWindow.ParityTolerance));
    }

    [Test]
    public void Without_the_indicator_history_the_features_are_skewed_which_is_why_shorter_windows_are_refused()
    {
        using var model = ModelArtifact.Read(TrainedModels.Outcome.Artifact, null);
        var shortWindow = model.FeatureSpec.Warmup + model.Manifest.WindowSize;
        // Computed directly: ServingWindow refuses this many candles.
        var market = TrainedModels.Market;
        var end = 2_300;
        var window = model.Manifest.WindowSize;
        var full = FeatureCalculator.Compute(market, model.FeatureSpec);
        var part = FeatureCalculator.Compute(market.Skip(end + 1 - shortWindow).Take(shortWindow).ToList(), model.FeatureSpec);
        var training = full.Values.AsSpan((end - window + 1) * full.Columns, window * full.Columns).ToArray();
        var served = part.Values.AsSpan((part.Rows - window) * part.Columns, window * part.Columns).ToArray();
        model.Scaler.TransformInPlace(training);
        model.Scaler.TransformInPlace(served);
        var skew = training.Zip(served).Max(p => Math.Abs(p.First - p.Second));
        TestContext.Progress.WriteLine($"largest scaled-feature difference with only warm-up + window ({shortWindow} candles): {skew:F3} σ");
        Assert.That(skew, Is.GreaterThan(100 * ServingWindow.ParityTolerance));

        var refused = Assert.Throws<NotEnoughDataException>(() => ServingWindow.Latest(model, market.Take(shortWindow).ToList()));
        Assert.That(refused!.Message, Does.Contain($"needs {ServingWindow.CandlesNeeded(model)}").And.Contain("indicator history"));
    }
}
