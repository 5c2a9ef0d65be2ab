using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Windows of a series ready for the model. Samples are in time order; <see cref="Split"/> cuts them
/// chronologically and leaves at least the label horizon between the parts, so no label of one part is computed
/// from candles inside the next. Scaling statistics come from the training part only. A sample whose candles (feature
/// warm-up, window, label horizon) hold a gap beyond the tolerance is left out (<see cref="CandleGaps"/>).
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

    /// <summary>
    /// The labelled windows of <paramref name="candles"/> (ascending, one series). A window ending at candle e is kept only
    /// when no step between consecutive candles from e − window + 1 − warm-up (the first candle its features read) to
    /// e + horizon (its label's last candle) misses more than <paramref name="maxGapCandles"/> candles.
    /// </summary>
    public static SignalDataset Build(IReadOnlyList<Candle> candles, int window, LabelSpec labels, FeatureSpec? spec = null,
        int maxGapCandles = CandleGaps.DefaultMaxGapCandles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(maxGapCandles);
        var features = FeatureCalculator.Compute(candles, spec);
        var close = candles.Select(c => (double)c.Close).ToArray();
        var volatility = VolatilityOf(features);
        var warmup = (spec ?? FeatureSpec.OhlcvV1).Warmup;
        var breaks = CandleGaps.Breaks(candles, maxGapCandles);

        var samples = new List<Sample>();
        for (var end = features.FirstValid + window - 1; end + labels.Horizon < candles.Count; end++)
        {
            if (breaks[end + labels.Horizon] != breaks[Math.Max(0, end - window + 1 - warmup)])
                continue;
            var label = labels.Label(close, volatility, end, out var forward);
            samples.Add(new Sample(end, label, forward, close[end + 1] / close[end] - 1));
        }

        return new SignalDataset(candles, features, samples, window, labels);
    }

    /// <summary>
    /// The realised label of candle <paramref name="t"/>, exactly as training labels it, or null while the horizon has not
    /// passed, the features at t are not valid yet, or candles t to t + horizon hold a step missing more than
    /// <paramref name="maxGapCandles"/> candles (training has no such label). The monitor scores served predictions with this.
    /// </summary>
    public static int? RealisedLabel(IReadOnlyList<Candle> candles, FeatureMatrix features, LabelSpec labels, int t,
        int maxGapCandles = CandleGaps.DefaultMaxGapCandles)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (t < features.FirstValid || t + labels.Horizon >= candles.Count
            || CandleGaps.LastBreak(candles, t, t + labels.Horizon, maxGapCandles) is not null)
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

    /// <summary>
    /// Train, validation and test, in time order. Between two parts at least <paramref name="gap"/> (at least the horizon)
    /// samples are skipped, and the first window of the next part starts after the last label of the previous part ends
    /// (its candle End + horizon), in time: with a gap in the series between them the purge is counted across it, never
    /// through it. The fractions share the samples left after an estimate of both purges.
    /// </summary>
    public DataSplit Split(double trainFraction = 0.7, double validationFraction = 0.15, int? gap = null)
    {
        var purge = Math.Max(gap ?? Labels.Horizon, Labels.Horizon);
        // Contiguous samples: the first window starting after a label's end lies horizon + window − 1 samples on.
        var embargo = Math.Max(purge, Labels.Horizon + Window - 1);
        var usable = Samples.Count - 2 * embargo;
        var trainCount = (int)(usable * trainFraction);
        var validationCount = (int)(usable * validationFraction);
        var validationStart = trainCount < 1 ? Samples.Count : NextPartStart(trainCount - 1, purge);
        var validationEnd = validationStart + validationCount;
        var testStart = validationCount < 1 || validationEnd > Samples.Count ? Samples.Count : NextPartStart(validationEnd - 1, purge);
        if (trainCount < 1 || validationCount < 1 || testStart >= Samples.Count)
            throw new InvalidOperationException(
                $"{Samples.Count} samples are too few to split with a purge of {purge} samples and windows starting after the previous part's last label.");
        var train = Samples.Take(trainCount).ToList();
        var validation = Samples.Skip(validationStart).Take(validationCount).ToList();
        var test = Samples.Skip(testStart).ToList();
        var gapCandles = Math.Min(validation[0].End - train[^1].End, test[0].End - validation[^1].End) - 1;
        return new DataSplit(train, validation, test, gapCandles);
    }

    /// <summary>The first sample at least <paramref name="purge"/> samples after sample <paramref name="last"/> whose window starts after its label ends.</summary>
    int NextPartStart(int last, int purge)
    {
        var labelEnd = Candles[Samples[last].End + Labels.Horizon].OpenTime;
        var next = last + purge + 1;
        while (next < Samples.Count && Candles[Samples[next].End - Window + 1].OpenTime <= labelEnd)
            next++;
        return next;
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
        ArgumentNullException.ThrowIfNull(scaler);
        CopyRawWindows(batch, destination);
        scaler.TransformInPlace(destination[..(batch.Count * Window * Features.Columns)]);
    }

    /// <summary>The unscaled feature windows of <paramref name="batch"/> (batch × window × features, row-major).</summary>
    public void CopyRawWindows(IReadOnlyList<Sample> batch, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var f = Features.Columns;
        for (var b = 0; b < batch.Count; b++)
        {
            var start = batch[b].End - Window + 1;
            Features.Values.AsSpan(start * f, Window * f).CopyTo(destination.Slice(b * Window * f, Window * f));
        }
    }
}
