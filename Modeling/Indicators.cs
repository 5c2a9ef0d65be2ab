namespace NeuralTrade.Events.Modeling;

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
