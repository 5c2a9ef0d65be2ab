using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

public sealed class NotEnoughDataException(string message) : Exception(message);

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

/// <summary>
/// The risk of acting on a signal, from the window the model saw: volatility of log returns, trend strength (net move
/// over path length: 1 a straight line, 0 pure chop) and the model's confidence. Each adds to a 0–10 score.
/// </summary>
public static class RiskAssessor
{
    /// <summary>Per-candle volatility at which the volatility part is full (1%).</summary>
    public const double FullVolatility = 0.01;

    public static RiskAssessment Assess(IReadOnlyList<Candle> window, Signal signal, double confidence)
    {
        ArgumentNullException.ThrowIfNull(window);
        var closes = window.Select(c => (double)c.Close).ToArray();
        var returns = new double[Math.Max(0, closes.Length - 1)];
        for (var i = 1; i < closes.Length; i++)
            returns[i - 1] = Math.Log(closes[i] / closes[i - 1]);
        var volatility = returns.Length > 1 ? MathNet.Numerics.Statistics.Statistics.StandardDeviation(returns) : 0;
        var path = 0.0;
        for (var i = 1; i < closes.Length; i++)
            path += Math.Abs(closes[i] - closes[i - 1]);
        var trend = path > 0 ? Math.Abs(closes[^1] - closes[0]) / path : 0;

        var volatilityPart = 4 * Math.Min(1, volatility / FullVolatility);
        var chopPart = 3 * (1 - trend);
        var doubtPart = 3 * Math.Clamp((1 - confidence) / (2.0 / 3), 0, 1); // confidence 1/3 (a guess) → 3, 1 → 0
        var score = Math.Round(Math.Clamp(volatilityPart + chopPart + doubtPart, 0, 10), 2);
        var level = score switch { < 2.5 => RiskLevel.Low, < 5 => RiskLevel.Medium, < 7.5 => RiskLevel.High, _ => RiskLevel.Critical };

        var factors = new List<string>
        {
            $"volatility {volatility:P2} per candle",
            $"trend strength {trend:0.00}",
            $"confidence {confidence:0.00}",
        };
        if (volatilityPart >= 3)
            factors.Add("high volatility");
        if (chopPart >= 2.5)
            factors.Add("no clear trend");
        if (doubtPart >= 2)
            factors.Add("low model confidence");

        var recommendation = signal == Signal.Hold
            ? "stay flat"
            : level switch
            {
                RiskLevel.Low => "trade with normal size",
                RiskLevel.Medium => "trade with reduced size",
                RiskLevel.High => "trade small with a tight stop",
                _ => "do not trade",
            };
        return new RiskAssessment(score, level, factors, recommendation);
    }
}
