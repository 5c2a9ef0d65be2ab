using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>The one implementation of <see cref="FeatureSpec.OhlcvV1"/>.</summary>
public static class FeatureCalculator
{
    const int RsiPeriod = 14, AtrPeriod = 14, MacdFast = 12, MacdSlow = 26, MacdSignal = 9, BollingerPeriod = 20, VolatilityPeriod = 20;

    public static FeatureMatrix Compute(IReadOnlyList<Candle> candles, FeatureSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(candles);
        spec ??= FeatureSpec.OhlcvV1;
        if (spec.Id != FeatureSpec.OhlcvV1.Id)
            throw new ArgumentException($"Feature spec {spec.Id} is not implemented by this build.", nameof(spec));

        var n = candles.Count;
        var close = new double[n];
        var open = new double[n];
        var high = new double[n];
        var low = new double[n];
        var volume = new double[n];
        for (var i = 0; i < n; i++)
        {
            (open[i], high[i], low[i], close[i], volume[i]) =
                ((double)candles[i].Open, (double)candles[i].High, (double)candles[i].Low, (double)candles[i].Close, (double)candles[i].Volume);
        }

        var logReturn = new double[n];
        for (var i = 1; i < n; i++)
            logReturn[i] = Math.Log(close[i] / close[i - 1]);

        var rsi = Indicators.Rsi(close, RsiPeriod);
        var macdHist = Indicators.MacdHistogram(close, MacdFast, MacdSlow, MacdSignal);
        var atr = Indicators.Atr(high, low, close, AtrPeriod);
        var percentB = Indicators.BollingerPercentB(close, BollingerPeriod, 2);

        var f = spec.Count;
        var values = new float[n * f];
        Array.Fill(values, float.NaN);
        for (var t = spec.Warmup; t < n; t++)
        {
            var row = values.AsSpan(t * f, f);
            row[0] = (float)logReturn[t];
            row[1] = (float)((high[t] - low[t]) / close[t]);
            row[2] = (float)((close[t] - open[t]) / open[t]);
            row[3] = (float)(Math.Log(1 + volume[t]) - Math.Log(1 + volume[t - 1]));
            row[4] = (float)(rsi[t] / 100 - 0.5);
            row[5] = (float)(macdHist[t] / close[t]);
            row[6] = (float)(atr[t] / close[t]);
            row[7] = (float)percentB[t];
            row[8] = (float)Math.Log(close[t] / close[t - 5]);
            row[9] = (float)StandardDeviation(logReturn.AsSpan(t - VolatilityPeriod + 1, VolatilityPeriod));
        }

        return new FeatureMatrix(values, n, f, Math.Min(spec.Warmup, n));
    }

    /// <summary>Population standard deviation.</summary>
    internal static double StandardDeviation(ReadOnlySpan<double> values)
    {
        var mean = 0.0;
        foreach (var v in values)
            mean += v;
        mean /= values.Length;
        var sum = 0.0;
        foreach (var v in values)
            sum += (v - mean) * (v - mean);
        return Math.Sqrt(sum / values.Length);
    }
}
