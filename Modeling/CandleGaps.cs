using System.Globalization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Missing candles inside the stretch of a series a sample is made of. Features, labels and the split count candles;
/// these checks keep a count from silently spanning a market closure or a feed outage. A step between two consecutive
/// candles that misses more than <c>maxGapCandles</c> candles is a break; a window or horizon holding a break is not used.
/// </summary>
public static class CandleGaps
{
    /// <summary>Missing candles tolerated between two consecutive candles: a daily equity series' weekends (2) and long weekends (3) pass.</summary>
    public const int DefaultMaxGapCandles = 3;

    /// <summary>The tolerance's name among an artifact's hyperparameters; an artifact without it means <see cref="DefaultMaxGapCandles"/>.</summary>
    public const string HyperparameterName = "maxGapCandles";

    /// <summary>Candles missing between <paramref name="previous"/> and <paramref name="next"/> (0 when they are consecutive).</summary>
    public static long Missing(DateTimeOffset previous, DateTimeOffset next, TimeSpan interval) =>
        Math.Max(0, (next - previous).Ticks / interval.Ticks - 1);

    /// <summary>
    /// Prefix counts of breaks: element i is how many steps (k − 1 → k) with k ≤ i miss more than
    /// <paramref name="maxGapCandles"/> candles. Candles i..j hold no break when element j equals element i.
    /// </summary>
    public static int[] Breaks(IReadOnlyList<Candle> candles, int maxGapCandles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentOutOfRangeException.ThrowIfNegative(maxGapCandles);
        var breaks = new int[candles.Count];
        if (candles.Count == 0)
            return breaks;
        var interval = Intervals.LengthOf(candles[0].Interval);
        for (var i = 1; i < candles.Count; i++)
            breaks[i] = breaks[i - 1] + (Missing(candles[i - 1].OpenTime, candles[i].OpenTime, interval) > maxGapCandles ? 1 : 0);
        return breaks;
    }

    /// <summary>The last step inside candles [<paramref name="first"/>, <paramref name="last"/>] that misses more than the tolerance, if any.</summary>
    public static (int Index, long Missing)? LastBreak(IReadOnlyList<Candle> candles, int first, int last, int maxGapCandles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        if (candles.Count == 0)
            return null;
        var interval = Intervals.LengthOf(candles[0].Interval);
        for (var i = Math.Min(last, candles.Count - 1); i > Math.Max(first, 0); i--)
        {
            var missing = Missing(candles[i - 1].OpenTime, candles[i].OpenTime, interval);
            if (missing > maxGapCandles)
                return (i, missing);
        }

        return null;
    }

    /// <summary>The tolerance a model was trained with: its <c>maxGapCandles</c> hyperparameter, or the default when it has none.</summary>
    public static int MaxGapCandlesOf(IReadOnlyDictionary<string, string>? hyperparameters) =>
        hyperparameters is not null && hyperparameters.TryGetValue(HyperparameterName, out var text)
            && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : DefaultMaxGapCandles;
}
