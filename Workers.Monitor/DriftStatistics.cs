using MathNet.Numerics.Statistics;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>A two-sample Kolmogorov–Smirnov result.</summary>
/// <param name="Statistic">D: the largest distance between the two empirical CDFs.</param>
/// <param name="PValue">Asymptotic p-value of D for the effective sample sizes.</param>
/// <param name="EffectiveLive">Effective size of the live sample after its autocorrelation.</param>
/// <param name="EffectiveBaseline">Effective size of the baseline sample after its autocorrelation.</param>
public readonly record struct KsResult(double Statistic, double PValue, double EffectiveLive, double EffectiveBaseline);

/// <summary>
/// The drift statistics. PSI as Evidently computes it (bins from the baseline's quantiles, empty shares floored at
/// 0.0001); the two-sample Kolmogorov–Smirnov D with its asymptotic p-value (Kolmogorov's limiting distribution with
/// Stephens' small-sample correction, Numerical Recipes §14.3.3). Market features are autocorrelated (an RSI or a
/// 20-candle volatility changes slowly), so the KS p-value uses effective sample sizes n / (1 + 2 Σ ρₖ) from the
/// autocorrelation function (MathNet.Numerics), summed until the first non-positive lag; without that correction
/// stationary data of a smooth feature looks "significant" every time.
/// MathNet.Numerics 5 has autocorrelation, but no KS test and no Kolmogorov distribution; those are written here.
/// </summary>
public static class DriftStatistics
{
    /// <summary>Share given to an empty bin so the logarithm stays finite (Evidently's value).</summary>
    public const double EmptyShare = 1e-4;

    /// <summary>
    /// PSI of <paramref name="live"/> against a baseline given by its quantile edges (min, q₁ … q_{B−1}, max; B equal-count
    /// bins). The outer bins are open, so live values beyond the baseline's range land in them. When edges repeat
    /// (a feature with ties), the expected shares are taken from <paramref name="baselineSample"/> binned the same way.
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
        double[] expected;
        if (bins == quantileEdges.Count - 1)
        {
            expected = new double[bins];
            Array.Fill(expected, 1.0 / bins);
        }
        else
        {
            if (baselineSample.IsEmpty)
                throw new ArgumentException("The baseline's edges repeat; its sample is needed for the expected shares.", nameof(baselineSample));
            var sample = new double[baselineSample.Length];
            for (var i = 0; i < sample.Length; i++)
                sample[i] = baselineSample[i];
            expected = Shares(interior, sample);
        }

        return Psi(expected, Shares(interior, live));
    }

    /// <summary>PSI between two discrete distributions given as shares (each summing to 1), e.g. signal classes.</summary>
    public static double Psi(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
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

    /// <summary>Two-sample KS of <paramref name="live"/> against <paramref name="baseline"/> (both in time order).</summary>
    public static KsResult KolmogorovSmirnov(ReadOnlySpan<double> live, ReadOnlySpan<double> baseline)
    {
        if (live.Length < 2 || baseline.Length < 2)
            throw new ArgumentException($"KS needs two values on each side ({live.Length} live, {baseline.Length} baseline).");
        var d = Distance(live, baseline);
        var nLive = EffectiveSampleSize(live);
        var nBase = EffectiveSampleSize(baseline);
        return new KsResult(d, KolmogorovPValue(d, nLive * nBase / (nLive + nBase)), nLive, nBase);
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
    /// n / (1 + 2 Σₖ ρₖ), summing the autocorrelations ρ₁, ρ₂, … (MathNet's FFT ACF) until the first non-positive one
    /// (at most n/4 lags). Never more than n, never less than 2.
    /// </summary>
    public static double EffectiveSampleSize(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        if (n < 8)
            return n;
        var x = values.ToArray();
        var first = x[0];
        if (x.All(v => v == first))
            return n; // constant: the ACF is undefined and there is no dependence to correct for
        var maxLag = Math.Max(1, n / 4);
        var acf = Correlation.Auto(x, maxLag, 1);
        var sum = 0.0;
        foreach (var rho in acf)
        {
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
