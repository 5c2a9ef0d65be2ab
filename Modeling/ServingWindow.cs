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

    /// <summary>Missing candles the model tolerates between two consecutive candles: its <c>maxGapCandles</c> hyperparameter, 3 when it has none.</summary>
    public static int MaxGapCandles(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return CandleGaps.MaxGapCandlesOf(model.Manifest.Hyperparameters);
    }

    /// <summary>Candles to read for a prediction that matches training exactly (<see cref="SmoothingHistory"/> more than needed).</summary>
    public static int CandlesWanted(LoadedModel model) => CandlesNeeded(model) + SmoothingHistory;

    /// <summary>
    /// The scaled window (window × features) ending at the last of <paramref name="candles"/> (ascending, one series).
    /// Throws <see cref="NotEnoughDataException"/> when there are too few candles, or when the last
    /// <see cref="CandlesNeeded"/> (the window and its feature warm-up, as training checks them) hold a step missing more
    /// candles than the model tolerates (<see cref="MaxGapCandles"/>): training never saw such a window.
    /// </summary>
    public static float[] Latest(LoadedModel model, IReadOnlyList<Candle> candles)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candles);
        var needed = CandlesNeeded(model);
        if (candles.Count < needed)
            throw new NotEnoughDataException(
                $"{candles.Count} candles given; the model needs {needed} (feature warm-up {model.FeatureSpec.Warmup} + window {model.Manifest.WindowSize})");
        var tolerance = MaxGapCandles(model);
        if (CandleGaps.LastBreak(candles, candles.Count - needed, candles.Count - 1, tolerance) is var (index, missing))
            throw new NotEnoughDataException(
                $"{missing} candles are missing between {candles[index - 1].OpenTime:yyyy-MM-dd'T'HH:mm:ss'Z'} and " +
                $"{candles[index].OpenTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, inside the last {needed} candles the model reads (feature warm-up " +
                $"{model.FeatureSpec.Warmup} + window {model.Manifest.WindowSize}); it tolerates {tolerance}. Predictions resume when " +
                $"{needed - (candles.Count - index)} more candles have followed the gap");
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
