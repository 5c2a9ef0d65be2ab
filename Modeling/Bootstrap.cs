namespace NeuralTrade.Events.Modeling;

/// <summary>A point estimate with a bootstrap interval and the standard deviation of the resampled statistic.</summary>
public readonly record struct ConfidenceInterval(double Estimate, double Lower, double Upper, double StandardError)
{
    /// <summary>The interval of a statistic that was not resampled (too few observations): zero width at the estimate.</summary>
    public static ConfidenceInterval Degenerate(double estimate) => new(estimate, estimate, estimate, 0);

    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>
/// Circular block bootstrap (Politis &amp; Romano 1992) for serially dependent series: a resample of n observations is
/// made of ⌈n / L⌉ blocks of L consecutive observations, each starting at a uniformly drawn index and wrapping round the
/// end, cut to n. Intervals are percentile intervals (linear interpolation between order statistics) of the resampled
/// statistic. Every draw comes from a <see cref="Random"/> seeded by the caller, so a result is reproducible.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// The default block length: max(<paramref name="horizon"/>, ⌈n^(1/3)⌉), so a block spans at least one label horizon
    /// (the overlap that makes neighbouring samples dependent) and grows like n^(1/3), the rate optimal for variance estimation.
    /// </summary>
    public static int DefaultBlockLength(int n, int horizon = 1) =>
        Math.Clamp(Math.Max(horizon, (int)Math.Ceiling(Math.Cbrt(Math.Max(1, n)) - 1e-9)), 1, Math.Max(1, n));

    /// <summary>Writes one circular block resample of the indices 0..n−1 into <paramref name="destination"/> (length n).</summary>
    public static void ResampleIndices(Random random, int blockLength, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        var n = destination.Length;
        if (blockLength < 1)
            throw new ArgumentOutOfRangeException(nameof(blockLength), blockLength, "a block holds at least one observation");
        for (var filled = 0; filled < n;)
        {
            var start = random.Next(n);
            var take = Math.Min(blockLength, n - filled);
            for (var j = 0; j < take; j++)
            {
                var index = start + j;
                destination[filled + j] = index >= n ? index - n : index;
            }

            filled += take;
        }
    }

    /// <summary>
    /// Block-bootstrap interval of <paramref name="statistic"/> over <paramref name="series"/>. The statistic receives a
    /// buffer that is reused from one resample to the next: it must not keep it.
    /// </summary>
    public static ConfidenceInterval Interval(IReadOnlyList<double> series, Func<double[], double> statistic, int blockLength, int resamples = 1000,
        double confidence = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(statistic);
        Check(resamples, confidence);
        var n = series.Count;
        var source = series.ToArray();
        var estimate = statistic((double[])source.Clone());
        if (n < 2)
            return ConfidenceInterval.Degenerate(estimate);
        var random = new Random(seed);
        var indices = new int[n];
        var buffer = new double[n];
        var draws = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            ResampleIndices(random, Math.Min(blockLength, n), indices);
            for (var i = 0; i < n; i++)
                buffer[i] = source[indices[i]];
            draws[r] = statistic(buffer);
        }

        return Summarise(estimate, draws, confidence);
    }

    /// <summary>Block-bootstrap interval of a classification metric of <paramref name="predicted"/> against <paramref name="labels"/>.</summary>
    public static ConfidenceInterval Metric(int[] labels, int[] predicted, Func<int[], int[], double> metric, int blockLength, int resamples = 1000,
        double confidence = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(metric);
        Check(resamples, confidence);
        if (predicted.Length != labels.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels", nameof(predicted));
        var n = labels.Length;
        var estimate = metric(labels, predicted);
        if (n < 2)
            return ConfidenceInterval.Degenerate(estimate);
        var random = new Random(seed);
        var indices = new int[n];
        var l = new int[n];
        var p = new int[n];
        var draws = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            ResampleIndices(random, Math.Min(blockLength, n), indices);
            for (var i = 0; i < n; i++)
            {
                var j = indices[i];
                l[i] = labels[j];
                p[i] = predicted[j];
            }

            draws[r] = metric(l, p);
        }

        return Summarise(estimate, draws, confidence);
    }

    /// <summary>
    /// Paired block bootstrap of metric(A) − metric(B) on the same labelled samples: each resample draws one set of block
    /// indices and scores both predictors on it, so what the two share (the labels, the hard stretches of the series)
    /// cancels. Returns the observed difference, the percentile interval and the standard deviation of the resampled
    /// differences. The metric receives buffers that are reused between resamples: it must not keep them.
    /// Identical predictors give exactly 0 with a zero-width interval.
    /// </summary>
    public static ConfidenceInterval PairedDifference(int[] labels, int[] predictedA, int[] predictedB, Func<int[], int[], double> metric,
        int blockLength, int resamples = 1000, double confidence = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictedA);
        ArgumentNullException.ThrowIfNull(predictedB);
        ArgumentNullException.ThrowIfNull(metric);
        Check(resamples, confidence);
        if (predictedA.Length != labels.Length || predictedB.Length != labels.Length)
            throw new ArgumentException($"{predictedA.Length} and {predictedB.Length} predictions for {labels.Length} labels", nameof(predictedB));
        var n = labels.Length;
        var observed = metric(labels, predictedA) - metric(labels, predictedB);
        if (n < 2)
            return ConfidenceInterval.Degenerate(observed);
        var random = new Random(seed);
        var draws = new double[resamples];
        if (metric.Method == MacroF1Metric.Method && metric.Target == MacroF1Metric.Target)
        {
            // The gate's case, run hundreds of times: count both confusions straight from the blocks, copying nothing.
            for (var r = 0; r < resamples; r++)
                draws[r] = PairedMacroF1Difference(labels, predictedA, predictedB, random, Math.Min(blockLength, n));
            return Summarise(observed, draws, confidence);
        }

        var indices = new int[n];
        var l = new int[n];
        var a = new int[n];
        var b = new int[n];
        for (var r = 0; r < resamples; r++)
        {
            ResampleIndices(random, Math.Min(blockLength, n), indices);
            for (var i = 0; i < n; i++)
            {
                var j = indices[i];
                l[i] = labels[j];
                a[i] = predictedA[j];
                b[i] = predictedB[j];
            }

            draws[r] = metric(l, a) - metric(l, b);
        }

        return Summarise(observed, draws, confidence);
    }

    static readonly Func<int[], int[], double> MacroF1Metric = Evaluation.MacroF1;

    /// <summary>
    /// macro-F1(A) − macro-F1(B) on one circular block resample, drawing the blocks exactly as <see cref="ResampleIndices"/>
    /// does (same random sequence), so the result equals the general path's.
    /// </summary>
    static double PairedMacroF1Difference(int[] labels, int[] predictedA, int[] predictedB, Random random, int blockLength)
    {
        var n = labels.Length;
        Span<int> counts = stackalloc int[5 * SignalClasses.Count];
        counts.Clear();
        var actual = counts[..3];
        var guessedA = counts[3..6];
        var hitsA = counts[6..9];
        var guessedB = counts[9..12];
        var hitsB = counts[12..15];
        for (var filled = 0; filled < n;)
        {
            var start = random.Next(n);
            var take = Math.Min(blockLength, n - filled);
            for (var j = 0; j < take; j++)
            {
                var index = start + j;
                if (index >= n)
                    index -= n;
                int l = labels[index], a = predictedA[index], b = predictedB[index];
                actual[l]++;
                guessedA[a]++;
                guessedB[b]++;
                if (a == l)
                    hitsA[l]++;
                if (b == l)
                    hitsB[l]++;
            }

            filled += take;
        }

        double f1A = 0, f1B = 0;
        for (var c = 0; c < SignalClasses.Count; c++)
        {
            if (actual[c] + guessedA[c] > 0)
                f1A += 2.0 * hitsA[c] / (actual[c] + guessedA[c]);
            if (actual[c] + guessedB[c] > 0)
                f1B += 2.0 * hitsB[c] / (actual[c] + guessedB[c]);
        }

        return (f1A - f1B) / SignalClasses.Count;
    }

    static void Check(int resamples, double confidence)
    {
        if (resamples < 1)
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "at least one resample");
        if (confidence is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "a confidence level in (0, 1)");
    }

    /// <summary>
    /// Paired block-bootstrap interval of the difference of annualised Sharpe ratios, <paramref name="a"/> minus
    /// <paramref name="b"/>: two backtests of the same candles, their bars matched by end time, resampled with the same
    /// blocks so that what the market did to both cancels. The trading counterpart of <see cref="PairedDifference"/>:
    /// "does the model earn more per unit of risk than buy-and-hold, beyond luck". Annualised by a's bars per year.
    /// </summary>
    public static ConfidenceInterval PairedSharpeDifference(BacktestReport a, BacktestReport b, int blockLength, int resamples = 1000,
        double confidence = 0.95, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        Check(resamples, confidence);
        var bBars = new Dictionary<DateTimeOffset, double>(b.BarEnds.Length);
        for (var i = 0; i < b.BarEnds.Length; i++)
            bBars[b.BarEnds[i]] = b.Returns[i];
        var ra = new List<double>(a.Returns.Length);
        var rb = new List<double>(a.Returns.Length);
        for (var i = 0; i < a.BarEnds.Length; i++)
        {
            if (bBars.TryGetValue(a.BarEnds[i], out var other))
            {
                ra.Add(a.Returns[i]);
                rb.Add(other);
            }
        }

        var n = ra.Count;
        var scale = Math.Sqrt(a.PeriodsPerYear);
        var estimate = Sharpe(ra, rb, null, scale);
        if (n < 2)
            return ConfidenceInterval.Degenerate(estimate);
        var random = new Random(seed);
        var indices = new int[n];
        var draws = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            ResampleIndices(random, Math.Min(blockLength, n), indices);
            draws[r] = Sharpe(ra, rb, indices, scale);
        }

        return Summarise(estimate, draws, confidence);

        // Sharpe(a) − Sharpe(b) of the bars at indices (all of them when null); a series that does not vary has Sharpe 0.
        static double Sharpe(List<double> x, List<double> y, int[]? at, double scale)
        {
            var count = at?.Length ?? x.Count;
            double sx = 0, sy = 0;
            for (var i = 0; i < count; i++)
            {
                var k = at?[i] ?? i;
                sx += x[k];
                sy += y[k];
            }

            double mx = sx / count, my = sy / count, vx = 0, vy = 0;
            for (var i = 0; i < count; i++)
            {
                var k = at?[i] ?? i;
                vx += (x[k] - mx) * (x[k] - mx);
                vy += (y[k] - my) * (y[k] - my);
            }

            var dx = Math.Sqrt(vx / Math.Max(1, count - 1));
            var dy = Math.Sqrt(vy / Math.Max(1, count - 1));
            return ((dx > 1e-15 ? mx / dx : 0) - (dy > 1e-15 ? my / dy : 0)) * scale;
        }
    }

    /// <summary>Percentile interval and standard deviation of <paramref name="draws"/> (sorted in place).</summary>
    static ConfidenceInterval Summarise(double estimate, double[] draws, double confidence)
    {
        double sum = 0;
        foreach (var d in draws)
            sum += d;
        var mean = sum / draws.Length;
        double squares = 0;
        foreach (var d in draws)
            squares += (d - mean) * (d - mean);
        var sd = draws.Length > 1 ? Math.Sqrt(squares / (draws.Length - 1)) : 0;
        Array.Sort(draws);
        var alpha = (1 - confidence) / 2;
        return new ConfidenceInterval(estimate, Quantile(draws, alpha), Quantile(draws, 1 - alpha), sd);
    }

    /// <summary>The q-quantile of sorted values, interpolating linearly between order statistics (Hyndman–Fan type 7).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
            throw new ArgumentException("no values", nameof(sorted));
        var h = (sorted.Count - 1) * Math.Clamp(q, 0, 1);
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
