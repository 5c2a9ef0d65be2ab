using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The model's input for the newest candle of a series: the same features, scaler and window that training used
/// (<see cref="FeatureCalculator"/> and <see cref="SignalDataset.CopyWindows"/> read the same rows), for one window.
/// </summary>
public static class ServingWindow
{
    /// <summary>Candles needed to predict: the feature warm-up plus the window.</summary>
    public static int CandlesNeeded(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.FeatureSpec.Warmup + model.Manifest.WindowSize;
    }

    /// <summary>
    /// Extra history for the smoothed indicators: Wilder's RSI and ATR and MACD's EMAs start from their first candle and
    /// forget it geometrically ((13/14)ⁿ for RSI), so with this many candles before the window the served features equal
    /// the training features of the same candle to float precision. Fewer candles still work, with a small skew.
    /// </summary>
    public const int SmoothingHistory = 512;

    /// <summary>Candles to read for a prediction that matches training exactly (<see cref="SmoothingHistory"/> more than needed).</summary>
    public static int CandlesWanted(LoadedModel model) => CandlesNeeded(model) + SmoothingHistory;

    /// <summary>The scaled window (window × features) ending at the last of <paramref name="candles"/> (ascending, one series).</summary>
    public static float[] Latest(LoadedModel model, IReadOnlyList<Candle> candles)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candles);
        var needed = CandlesNeeded(model);
        if (candles.Count < needed)
            throw new NotEnoughDataException(
                $"{candles.Count} candles given; the model needs {needed} (feature warm-up {model.FeatureSpec.Warmup} + window {model.Manifest.WindowSize})");
        var wanted = needed + SmoothingHistory;
        var tail = candles.Count > wanted ? candles.Skip(candles.Count - wanted).ToList() : candles;
        var features = FeatureCalculator.Compute(tail, model.FeatureSpec);
        var window = model.Manifest.WindowSize;
        var f = features.Columns;
        var result = new float[window * f];
        features.Values.AsSpan((features.Rows - window) * f, window * f).CopyTo(result);
        model.Scaler.TransformInPlace(result);
        return result;
    }
}
