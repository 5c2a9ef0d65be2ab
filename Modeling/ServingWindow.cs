using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The model's input for the newest candle of a series: the same features, scaler and window that training used
/// (<see cref="FeatureCalculator"/> and <see cref="SignalDataset.CopyWindows"/> read the same rows), for one window.
/// </summary>
public static class ServingWindow
{
    /// <summary>
    /// Candles needed to predict: the feature warm-up, the window, and <see cref="IndicatorHistory"/> candles before them
    /// so that the smoothed indicators have settled. Fewer are refused as too short (<see cref="NotEnoughDataException"/>),
    /// from the store and from a caller alike: with only warm-up + window candles, MACD's histogram at the window's first
    /// row is about 0.4σ away from the value training computed for the same candle.
    /// </summary>
    public static int CandlesNeeded(LoadedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.FeatureSpec.Warmup + model.Manifest.WindowSize + IndicatorHistory;
    }

    /// <summary>
    /// History before the warm-up that every served window has: Wilder's RSI and ATR forget their start as (13/14)ⁿ and
    /// MACD's slow EMA as (25/27)ⁿ, so after 200 candles every scaled feature of the window is within
    /// <see cref="ParityTolerance"/> of training's (measured in FeatureParityTests).
    /// </summary>
    public const int IndicatorHistory = 200;

    /// <summary>The largest difference, in units of the training scaler's σ, between a served window's features and training's.</summary>
    public const double ParityTolerance = 1e-3;

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
    public static int CandlesWanted(LoadedModel model) => model.FeatureSpec.Warmup + model.Manifest.WindowSize + SmoothingHistory;

    /// <summary>
    /// The scaled window (window × features) ending at the last of <paramref name="candles"/> (ascending, one series).
    /// Throws <see cref="NotEnoughDataException"/> when there are too few candles, or when the last
    /// <see cref="CandlesNeeded"/> (the window and its feature warm-up, as training checks them) hold a step missing more
    /// candles than the model tolerates (<see cref="MaxGapCandles"/>): training never saw such a window.
    /// </summary>
    public static float[] Latest(LoadedModel model, IReadOnlyList<Candle> candles)
    {
        var result = LatestFeatures(model, candles);
        model.Scaler.TransformInPlace(result);
        return result;
    }

    /// <summary>
    /// The unscaled feature window (window × features) ending at the last of <paramref name="candles"/>, refused as
    /// <see cref="Latest"/> refuses: what the MLflow model (<see cref="MlflowModel"/>) takes as its input; <see cref="Latest"/>
    /// is this window scaled.
    /// </summary>
    public static float[] LatestFeatures(LoadedModel model, IReadOnlyList<Candle> candles)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candles);
        var needed = CandlesNeeded(model);
        if (candles.Count < needed)
            throw new NotEnoughDataException(
                $"{candles.Count} candles given; the model needs {needed} (indicator history {IndicatorHistory} + feature warm-up " +
                $"{model.FeatureSpec.Warmup} + window {model.Manifest.WindowSize}, so that the features match training's within {ParityTolerance} σ)");
        var tolerance = MaxGapCandles(model);
        // Gaps are checked where training checks them: the window and its feature warm-up.
        var core = model.FeatureSpec.Warmup + model.Manifest.WindowSize;
        if (CandleGaps.LastBreak(candles, candles.Count - core, candles.Count - 1, tolerance) is var (index, missing))
            throw new NotEnoughDataException(
                $"{missing} candles are missing between {candles[index - 1].OpenTime:yyyy-MM-dd'T'HH:mm:ss'Z'} and " +
                $"{candles[index].OpenTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, inside the last {core} candles the model reads (feature warm-up " +
                $"{model.FeatureSpec.Warmup} + window {model.Manifest.WindowSize}); it tolerates {tolerance}. Predictions resume when " +
                $"{core - (candles.Count - index)} more candles have followed the gap");
        var wanted = CandlesWanted(model);
        var tail = candles.Count > wanted ? candles.Skip(candles.Count - wanted).ToList() : candles;
        var features = FeatureCalculator.Compute(tail, model.FeatureSpec);
        var window = model.Manifest.WindowSize;
        var f = features.Columns;
        var result = new float[window * f];
        features.Values.AsSpan((features.Rows - window) * f, window * f).CopyTo(result);
        return result;
    }
}
