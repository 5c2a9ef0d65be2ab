using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// A versioned set of features. The id travels in every artifact; a model only ever sees features computed by
/// the implementation its id names, in training, inference and monitoring alike.
/// </summary>
public sealed record FeatureSpec(string Id, IReadOnlyList<string> Names, int Warmup)
{
    /// <summary>
    /// Stationary OHLCV features, each at candle t from candles ≤ t only:
    /// log return; (high−low)/close; (close−open)/open; change of log(1+volume); Wilder RSI(14)/100 − 0.5;
    /// MACD(12, 26, 9) histogram / close; Wilder ATR(14) / close; Bollinger %B (20, 2σ); 5-candle log return;
    /// standard deviation of the last 20 log returns. Valid from candle 33 on (MACD's signal line).
    /// </summary>
    public static FeatureSpec OhlcvV1 { get; } = new("ohlcv-v1",
        ["log_return", "range_hl", "body_co", "volume_change", "rsi_14", "macd_hist", "atr_14", "bollinger_pb", "log_return_5", "volatility_20"],
        Warmup: 33);

    public static FeatureSpec Resolve(string id) =>
        id == OhlcvV1.Id ? OhlcvV1 : throw new ArgumentException($"Unknown feature spec '{id}'; this build knows {OhlcvV1.Id}.", nameof(id));

    public int Count => Names.Count;
}

/// <summary>Features of a series, row-major: row t holds the features at candle t; rows before <see cref="FirstValid"/> are NaN.</summary>
public sealed class FeatureMatrix(float[] values, int rows, int columns, int firstValid)
{
    public float[] Values { get; } = values;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;
    public int FirstValid { get; } = firstValid;

    public float this[int row, int column] => Values[row * Columns + column];

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
}

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

/// <summary>
/// Textbook indicators over a whole series, causal (index t uses inputs ≤ t), NaN until defined.
/// Conventions follow TA-Lib: Wilder smoothing seeded with a simple mean; EMAs seeded with an SMA.
/// </summary>
public static class Indicators
{
    public static double[] Ema(ReadOnlySpan<double> values, int period, int start = 0)
    {
        var result = Nan(values.Length);
        if (values.Length < start + period)
            return result;
        var alpha = 2.0 / (period + 1);
        var seed = 0.0;
        for (var i = start; i < start + period; i++)
            seed += values[i];
        result[start + period - 1] = seed / period;
        for (var i = start + period; i < values.Length; i++)
            result[i] = alpha * values[i] + (1 - alpha) * result[i - 1];
        return result;
    }

    public static double[] Rsi(double[] close, int period)
    {
        var result = Nan(close.Length);
        if (close.Length <= period)
            return result;
        double gain = 0, loss = 0;
        for (var i = 1; i <= period; i++)
        {
            var change = close[i] - close[i - 1];
            gain += Math.Max(change, 0);
            loss += Math.Max(-change, 0);
        }

        gain /= period;
        loss /= period;
        result[period] = Rsi(gain, loss);
        for (var i = period + 1; i < close.Length; i++)
        {
            var change = close[i] - close[i - 1];
            gain = (gain * (period - 1) + Math.Max(change, 0)) / period;
            loss = (loss * (period - 1) + Math.Max(-change, 0)) / period;
            result[i] = Rsi(gain, loss);
        }

        return result;

        static double Rsi(double gain, double loss) => loss == 0 ? (gain == 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
    }

    public static double[] MacdHistogram(double[] close, int fast, int slow, int signal)
    {
        var emaFast = Ema(close, fast);
        var emaSlow = Ema(close, slow);
        var macd = Nan(close.Length);
        for (var i = slow - 1; i < close.Length; i++)
            macd[i] = emaFast[i] - emaSlow[i];
        var signalLine = Ema(macd, signal, start: slow - 1);
        var result = Nan(close.Length);
        for (var i = slow + signal - 2; i < close.Length; i++)
            result[i] = macd[i] - signalLine[i];
        return result;
    }

    public static double[] Atr(double[] high, double[] low, double[] close, int period)
    {
        var result = Nan(close.Length);
        if (close.Length <= period)
            return result;
        double TrueRange(int i) => Math.Max(high[i] - low[i], Math.Max(Math.Abs(high[i] - close[i - 1]), Math.Abs(low[i] - close[i - 1])));
        var atr = 0.0;
        for (var i = 1; i <= period; i++)
            atr += TrueRange(i);
        atr /= period;
        result[period] = atr;
        for (var i = period + 1; i < close.Length; i++)
        {
            atr = (atr * (period - 1) + TrueRange(i)) / period;
            result[i] = atr;
        }

        return result;
    }

    public static double[] BollingerPercentB(double[] close, int period, double width)
    {
        var result = Nan(close.Length);
        for (var i = period - 1; i < close.Length; i++)
        {
            var window = close.AsSpan(i - period + 1, period);
            var mean = 0.0;
            foreach (var v in window)
                mean += v;
            mean /= period;
            var sd = FeatureCalculator.StandardDeviation(window);
            result[i] = sd == 0 ? 0.5 : (close[i] - (mean - width * sd)) / (2 * width * sd);
        }

        return result;
    }

    static double[] Nan(int n)
    {
        var a = new double[n];
        Array.Fill(a, double.NaN);
        return a;
    }
}
