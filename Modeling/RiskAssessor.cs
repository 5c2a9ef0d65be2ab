using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

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
