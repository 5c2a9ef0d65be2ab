using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Windows of a series ready for the model. Samples are in time order; <see cref="Split"/> cuts them
/// chronologically and leaves at least the label horizon between the parts, so no label of one part is computed
/// from candles inside the next. Scaling statistics come from the training part only.
/// </summary>
public sealed class SignalDataset
{
    SignalDataset(IReadOnlyList<Candle> candles, FeatureMatrix features, IReadOnlyList<Sample> samples, int window, LabelSpec labels)
    {
        Candles = candles;
        Features = features;
        Samples = samples;
        Window = window;
        Labels = labels;
    }

    public IReadOnlyList<Candle> Candles { get; }
    public FeatureMatrix Features { get; }
    public IReadOnlyList<Sample> Samples { get; }
    public int Window { get; }
    public LabelSpec Labels { get; }

    public static SignalDataset Build(IReadOnlyList<Candle> candles, int window, LabelSpec labels, FeatureSpec? spec = null)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(labels);
        var features = FeatureCalculator.Compute(candles, spec);
        var close = candles.Select(c => (double)c.Close).ToArray();
        var volatility = VolatilityOf(features);

        var samples = new List<Sample>();
        for (var end = features.FirstValid + window - 1; end + labels.Horizon < candles.Count; end++)
        {
            var label = labels.Label(close, volatility, end, out var forward);
            samples.Add(new Sample(end, label, forward, close[end + 1] / close[end] - 1));
        }

        return new SignalDataset(candles, features, samples, window, labels);
    }

    /// <summary>
    /// The realised label of candle <paramref name="t"/>, exactly as training labels it, or null while the horizon has not
    /// passed or the features at t are not valid yet. The monitor scores served predictions with this.
    /// </summary>
    public static int? RealisedLabel(IReadOnlyList<Candle> candles, FeatureMatrix features, LabelSpec labels, int t)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (t < features.FirstValid || t + labels.Horizon >= candles.Count)
            return null;
        var close = new double[labels.Horizon + 1];
        var volatility = new double[labels.Horizon + 1];
        for (var i = 0; i <= labels.Horizon; i++)
            close[i] = (double)candles[t + i].Close;
        volatility[0] = features[t, VolatilityColumn];
        return labels.Label(close, volatility, 0, out _);
    }

    // volatility_20 of ohlcv-v1: the σ₂₀ the label threshold scales with.
    const int VolatilityColumn = 9;

    static double[] VolatilityOf(FeatureMatrix features)
    {
        var volatility = new double[features.Rows];
        for (var t = 0; t < features.Rows; t++)
            volatility[t] = t < features.FirstValid ? double.NaN : features[t, VolatilityColumn];
        return volatility;
    }

    /// <summary>Candles needed for <paramref name="samples"/> labelled windows.</summary>
    public static int CandlesNeeded(int samples, int window, LabelSpec labels, FeatureSpec? spec = null) =>
        (spec ?? FeatureSpec.OhlcvV1).Warmup + window - 1 + labels.Horizon + samples;

    public DataSplit Split(double trainFraction = 0.7, double validationFraction = 0.15, int? gap = null)
    {
        var purge = Math.Max(gap ?? Labels.Horizon, Labels.Horizon);
        var usable = Samples.Count - 2 * purge;
        var trainCount = (int)(usable * trainFraction);
        var validationCount = (int)(usable * validationFraction);
        var testCount = usable - trainCount - validationCount;
        if (trainCount < 1 || validationCount < 1 || testCount < 1)
            throw new InvalidOperationException($"{Samples.Count} samples are too few to split with a gap of {purge}.");
        var train = Samples.Take(trainCount).ToList();
        var validation = Samples.Skip(trainCount + purge).Take(validationCount).ToList();
        var test = Samples.Skip(trainCount + purge + validationCount + purge).ToList();
        return new DataSplit(train, validation, test, purge);
    }

    /// <summary>Per-feature mean and standard deviation over every feature row the training windows cover.</summary>
    public FeatureScaler FitScaler(IReadOnlyList<Sample> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var first = train.Min(s => s.End) - Window + 1;
        var last = train.Max(s => s.End);
        return FeatureScaler.Fit(Features, first, last);
    }

    /// <summary>Weights inversely proportional to class frequency in <paramref name="train"/> (n / (k · count)).</summary>
    public static float[] ClassWeights(IReadOnlyList<Sample> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var counts = new int[SignalClasses.Count];
        foreach (var s in train)
            counts[s.Label]++;
        return counts.Select(c => c == 0 ? 0f : (float)train.Count / (SignalClasses.Count * c)).ToArray();
    }

    /// <summary>Writes the scaled windows of <paramref name="batch"/> into <paramref name="destination"/> (batch × window × features).</summary>
    public void CopyWindows(IReadOnlyList<Sample> batch, FeatureScaler scaler, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(scaler);
        var f = Features.Columns;
        for (var b = 0; b < batch.Count; b++)
        {
            var start = batch[b].End - Window + 1;
            var target = destination.Slice(b * Window * f, Window * f);
            Features.Values.AsSpan(start * f, Window * f).CopyTo(target);
            scaler.TransformInPlace(target);
        }
    }
}
