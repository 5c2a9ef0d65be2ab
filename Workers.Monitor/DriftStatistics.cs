namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// The drift statistics. PSI as Evidently computes it (bins from the baseline's quantiles, empty shares floored at
/// 0.0001); the two-sample Kolmogorov–Smirnov D with its asymptotic p-value (Kolmogorov's limiting distribution with
/// Stephens' small-sample correction, Numerical Recipes §14.3.3). Market features are autocorrelated (an RSI or a
/// 20-candle volatility changes slowly), so the KS p-value uses effective sample sizes n / (1 + 2 Σ ρₖ) from the
/// autocorrelation function, summed until the first non-positive lag; without that correction stationary data of a
/// smooth feature looks "significant" every time. MathNet.Numerics 5 has no KS test and no Kolmogorov distribution, so
/// those are written here (and tested against published values); χ² comes from MathNet.
/// </summary>
public static class DriftStatistics
{
    /// <summary>Share given to an empty bin so the logarithm stays finite (Evidently's value).</summary>
    public const double EmptyShare = 1e-4;

    /// <summary>
    /// PSI of <paramref name="live"/> against a baseline given by its quantile edges (min, q₁ … q_{B−1}, max; B equal-count
    /// bins). The outer bins are open, so live values beyond the baseline's range land in them. When the baseline has ties
    /// (edges repeat, or its sample repeats a value), bins are not equal-count and the expected shares are taken from
    /// <paramref name="baselineSample"/> binned the same way.
    /// </summary>
    public static double Psi(IReadOnlyList<double> quantileEdges, ReadOnlySpan<double> live, ReadOnlySpan<float> baselineSample = default)
    {
        ArgumentNullException.ThrowIfNull(quantileEdges);
        if (quantileEdges.Count < 3)
            throw new ArgumentException("PSI needs at least two bins (three edges).", nameof(quantileEdges));
        if (live.IsEmpty)
            throw new ArgumentException("PSI of an empty window is undefined.", nameof(live));

        var interior = new List<double>(quantileEdges.Count - 2);
        for (var i = 1; i < quantileEdges.Count - 1; i++)
        {
            if (interior.Count == 0 || quantileEdges[i] > interior[^1])
                interior.Add(quantileEdges[i]);
        }

        var bins = interior.Count + 1;
        var equalCount = bins == quantileEdges.Count - 1 && quantileEdges[0] < quantileEdges[1] && quantileEdges[^2] < quantileEdges[^1]
            && !HasTies(baselineSample);
        double[] expected;
        if (equalCount)
        {
            expected = new double[bins];
            Array.Fill(expected, 1.0 / bins);
        }
        else
        {
            if (baselineSample.IsEmpty)
                throw new ArgumentException("The baseline has ties (its edges repeat); its sample is needed for the expected shares.",
                    nameof(baselineSample));
            var sample = new double[baselineSample.Length];
            for (var i = 0; i < sample.Length; i++)
                sample[i] = baselineSample[i];
            expected = Shares(interior, sample);
        }

        return PsiOfShares(expected, Shares(interior, live));
    }

    // Ties break the equal-count bins: a bin closing on a repeated value holds more than its share.
    static bool HasTies(ReadOnlySpan<float> sample)
    {
        if (sample.Length < 2)
            return false;
        var sorted = sample.ToArray();
        Array.Sort(sorted);
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] == sorted[i - 1])
                return true;
        }

        return false;
    }

    /// <summary>PSI between two discrete distributions given as shares (each summing to 1), e.g. signal classes.</summary>
    public static double PsiOfShares(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        if (expected.Length != actual.Length || expected.IsEmpty)
            throw new ArgumentException($"Both distributions need the same bins ({expected.Length} vs {actual.Length}).", nameof(actual));
        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var e = Math.Max(expected[i], EmptyShare);
            var a = Math.Max(actual[i], EmptyShare);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    /// <summary>
    /// Two-sample KS of <paramref name="live"/> against <paramref name="baseline"/> (both in time order).
    /// <paramref name="baselineEffective"/> saves recomputing the baseline's effective size at every check.
    /// </summary>
    public static KsResult KolmogorovSmirnov(ReadOnlySpan<double> live, ReadOnlySpan<double> baseline, double? baselineEffective = null)
    {
        if (live.Length < 2 || baseline.Length < 2)
            throw new ArgumentException($"KS needs two values on each side ({live.Length} live, {baseline.Length} baseline).");
        var d = Distance(live, baseline);
        var nLive = EffectiveSampleSize(live);
        var nBase = baselineEffective ?? EffectiveSampleSize(baseline);
        return new KsResult(d, KolmogorovPValue(d, nLive * nBase / (nLive + nBase)), nLive, nBase);
    }

    /// <summary>
    /// Pearson's χ² goodness-of-fit p-value of observed class <paramref name="labels"/> (0 … k−1, in time order) against
    /// <paramref name="expected"/> shares, with the count replaced by the effective size of the most autocorrelated class
    /// indicator (consecutive predictions share 59 of 60 candles, so they are far from independent). χ² from MathNet.
    /// </summary>
    public static double ChiSquarePValue(IReadOnlyList<int> labels, ReadOnlySpan<double> expected)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count < 2)
            throw new ArgumentException("χ² needs at least two observations.", nameof(labels));
        var k = expected.Length;
        var effective = double.MaxValue;
        var shares = new double[k];
        for (var c = 0; c < k; c++)
        {
            var indicator = new double[labels.Count];
            for (var i = 0; i < labels.Count; i++)
                indicator[i] = labels[i] == c ? 1 : 0;
            shares[c] = indicator.Average();
            effective = Math.Min(effective, EffectiveSampleSize(indicator));
        }

        var chi = 0.0;
        for (var c = 0; c < k; c++)
        {
            var e = Math.Max(expected[c], EmptyShare);
            chi += effective * (shares[c] - e) * (shares[c] - e) / e;
        }

        return 1 - MathNet.Numerics.Distributions.ChiSquared.CDF(k - 1, chi);
    }

    /// <summary>D = sup |F₁(x) − F₂(x)| of the two empirical CDFs (ties stepped together).</summary>
    public static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var x = a.ToArray();
        var y = b.ToArray();
        Array.Sort(x);
        Array.Sort(y);
        int i = 0, j = 0;
        double d = 0;
        while (i < x.Length && j < y.Length)
        {
            var v = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] <= v)
                i++;
            while (j < y.Length && y[j] <= v)
                j++;
            d = Math.Max(d, Math.Abs((double)i / x.Length - (double)j / y.Length));
        }

        return d;
    }

    /// <summary>
    /// P(D ≥ d) for samples of effective combined size <paramref name="n"/> = n₁n₂/(n₁+n₂):
    /// Q_KS((√n + 0.12 + 0.11/√n)·d) with Q_KS(λ) = 2 Σ (−1)^{k−1} e^{−2k²λ²}.
    /// </summary>
    public static double KolmogorovPValue(double d, double n)
    {
        if (!(n > 0) || !double.IsFinite(d))
            throw new ArgumentOutOfRangeException(nameof(n), $"need a positive size and a finite distance (n={n}, d={d})");
        var root = Math.Sqrt(n);
        return KolmogorovQ((root + 0.12 + 0.11 / root) * d);
    }

    /// <summary>Q_KS(λ), the complementary CDF of Kolmogorov's distribution.</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 0.2)
            return 1; // the series converges too slowly here; Q is 1 to 1e-9
        var sum = 0.0;
        var sign = 1.0;
        var previous = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = sign * 2 * Math.Exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.Abs(term) <= 1e-10 * Math.Abs(sum) || Math.Abs(term) <= 1e-8 * previous)
                return Math.Clamp(sum, 0, 1);
            sign = -sign;
            previous = Math.Abs(term);
        }

        return 1; // did not converge: only for tiny λ, where Q is 1
    }

    /// <summary>
    /// n / (1 + 2 Σₖ ρₖ), summing the sample autocorrelations ρ₁, ρ₂, … until the first non-positive one (at most n/4
    /// lags; Geyer's initial positive sequence, simplified). Never more than n, never less than 2. The ACF is computed
    /// lag by lag because the sum usually stops after a few lags: 0.025 ms against 0.71 ms for MathNet's FFT
    /// <c>Correlation.Auto</c> over all lags on 500 values of volatility_20 (DriftCostStudy); the tests check the two agree.
    /// </summary>
    public static double EffectiveSampleSize(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        if (n < 8)
            return n;
        var mean = 0.0;
        foreach (var v in values)
            mean += v;
        mean /= n;
        var centred = new double[n];
        var c0 = 0.0;
        for (var i = 0; i < n; i++)
        {
            centred[i] = values[i] - mean;
            c0 += centred[i] * centred[i];
        }

        if (c0 <= 0)
            return n; // constant: no dependence to correct for
        var sum = 0.0;
        var maxLag = Math.Max(1, n / 4);
        for (var k = 1; k <= maxLag; k++)
        {
            var ck = 0.0;
            for (var i = 0; i + k < n; i++)
                ck += centred[i] * centred[i + k];
            var rho = ck / c0;
            if (!(rho > 0))
                break;
            sum += rho;
        }

        return Math.Clamp(n / (1 + 2 * sum), 2, n);
    }

    static double[] Shares(List<double> interior, ReadOnlySpan<double> values)
    {
        var counts = new double[interior.Count + 1];
        var n = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
                continue;
            counts[BinOf(interior, v)]++;
            n++;
        }

        if (n == 0)
            throw new ArgumentException("No finite value to bin.", nameof(values));
        for (var i = 0; i < counts.Length; i++)
            counts[i] /= n;
        return counts;
    }

    // Bin i covers (edge[i−1], edge[i]]; the first bin is open below, the last open above.
    static int BinOf(List<double> interior, double v)
    {
        int lo = 0, hi = interior.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (v <= interior[mid])
                hi = mid;
            else
                lo = mid + 1;
        }

        return lo;
    }
}
