using MathNet.Numerics.Statistics;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>The drift statistics against hand-computed and published values.</summary>
public sealed class DriftStatisticsTests
{
    [Test]
    public void Psi_of_known_shares()
    {
        // Σ (a − e) ln(a / e) for e = ¼ each, a = 0.1 … 0.4.
        var expected = 0.15 * Math.Log(2.5) + 0.05 * Math.Log(1.25) + 0.05 * Math.Log(1.2) + 0.15 * Math.Log(1.6);
        Assert.That(DriftStatistics.PsiOfShares([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]), Is.EqualTo(expected).Within(1e-12));
        Assert.That(DriftStatistics.PsiOfShares([0.5, 0.5], [0.5, 0.5]), Is.Zero);
    }

    [Test]
    public void Psi_floors_empty_bins_as_Evidently_does()
    {
        var psi = DriftStatistics.PsiOfShares([0.5, 0.5], [1.0, 0.0]);
        Assert.That(psi, Is.EqualTo(0.5 * Math.Log(2) + (1e-4 - 0.5) * Math.Log(1e-4 / 0.5)).Within(1e-12));
    }

    [Test]
    public void Psi_bins_live_values_by_the_baseline_quantiles_with_open_outer_bins()
    {
        // Four equal-count baseline bins: (−∞, 1], (1, 2], (2, 3], (3, ∞). Live: 1 | 1 | 1 | 1 + three far outside the range.
        double[] edges = [0, 1, 2, 3, 4];
        double[] live = [0.5, 1.5, 2.5, 3.5, 100, 200, -50];
        var shares = new[] { 2.0 / 7, 1.0 / 7, 1.0 / 7, 3.0 / 7 };
        Assert.That(DriftStatistics.Psi(edges, live), Is.EqualTo(DriftStatistics.PsiOfShares([0.25, 0.25, 0.25, 0.25], shares)).Within(1e-12));
        // A value on an edge belongs to the bin it closes.
        Assert.That(DriftStatistics.Psi(edges, [1.0, 2.0, 3.0, 4.0]), Is.Zero.Within(1e-12));
    }

    [Test]
    public void Psi_with_repeated_edges_takes_expected_shares_from_the_baseline_sample()
    {
        // A feature with ties: half its values are exactly 0, so the lower quantile edges repeat.
        float[] sample = [0, 0, 0, 0, 1, 2, 3, 4];
        var edges = ModelArtifact.Quantiles(sample, 4);
        Assert.That(edges[0], Is.EqualTo(edges[1]), "min and first quartile are both 0");
        Assert.That(DriftStatistics.Psi(edges, sample.Select(v => (double)v).ToArray(), sample), Is.Zero.Within(1e-12));
        Assert.That(() => DriftStatistics.Psi(edges, [1.0]), Throws.ArgumentException.With.Message.Contains("sample"));
    }

    [TestCase(0.5, 0.9639452436648751)]
    [TestCase(1.0, 0.26999967167735456)]
    [TestCase(1.36, 0.04939)]
    [TestCase(1.6276, 0.01000)]
    [TestCase(2.0, 6.7092525577969e-4)]
    public void Kolmogorov_distribution_matches_published_values(double lambda, double q) =>
        Assert.That(DriftStatistics.KolmogorovQ(lambda), Is.EqualTo(q).Within(q * 2e-3));

    [Test]
    public void Ks_distance_of_simple_samples()
    {
        Assert.That(DriftStatistics.Distance([1, 2, 3], [4, 5, 6]), Is.EqualTo(1));
        Assert.That(DriftStatistics.Distance([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]), Is.EqualTo(0.5));
        Assert.That(DriftStatistics.Distance([1, 1, 2, 2], [1, 2]), Is.Zero);
    }

    [Test]
    public void Ks_p_value_is_large_for_one_distribution_and_tiny_for_a_shift()
    {
        var random = new Random(3);
        var a = Normals(random, 500, 0, 1);
        var b = Normals(random, 500, 0, 1);
        var c = Normals(random, 500, 0.5, 1);
        Assert.That(DriftStatistics.KolmogorovSmirnov(a, b).PValue, Is.GreaterThan(0.01));
        Assert.That(DriftStatistics.KolmogorovSmirnov(a, c).PValue, Is.LessThan(1e-6));
    }

    [Test]
    public void Ks_p_value_is_calibrated_on_independent_samples()
    {
        // Under the null hypothesis the p-value is uniform: about 5 % of 400 pairs fall below 0.05.
        var random = new Random(17);
        var below = Enumerable.Range(0, 400)
            .Count(_ => DriftStatistics.KolmogorovSmirnov(Normals(random, 200, 0, 1), Normals(random, 300, 0, 1)).PValue < 0.05);
        Assert.That(below, Is.InRange(8, 36), "a calibrated test rejects ~20 of 400 at 5 %");
    }

    [Test]
    public void Effective_sample_size_of_independent_and_of_autocorrelated_values()
    {
        var random = new Random(5);
        var iid = Normals(random, 20_000, 0, 1);
        Assert.That(DriftStatistics.EffectiveSampleSize(iid) / iid.Length, Is.GreaterThan(0.9));

        // AR(1) with φ = 0.5: n_eff = n (1 − φ) / (1 + φ) = n / 3.
        var ar = new double[20_000];
        for (var i = 1; i < ar.Length; i++)
            ar[i] = 0.5 * ar[i - 1] + iid[i];
        Assert.That(DriftStatistics.EffectiveSampleSize(ar) / ar.Length, Is.EqualTo(1.0 / 3).Within(0.03));
    }

    [Test]
    public void Effective_sample_size_uses_the_same_autocorrelations_as_MathNet()
    {
        var random = new Random(9);
        var x = new double[500];
        for (var i = 1; i < x.Length; i++)
            x[i] = 0.8 * x[i - 1] + Normals(random, 1, 0, 1)[0];
        var acf = Correlation.Auto(x, x.Length / 4, 1);
        var sum = acf.TakeWhile(r => r > 0).Sum();
        Assert.That(DriftStatistics.EffectiveSampleSize(x), Is.EqualTo(x.Length / (1 + 2 * sum)).Within(1e-6));
    }

    [Test]
    public void Autocorrelation_makes_the_ks_test_honest()
    {
        // Two independent stretches of the same slow AR(1): without the correction KS calls them different.
        var random = new Random(21);
        double[] Slow(int n)
        {
            var x = new double[n];
            x[0] = Normals(random, 1, 0, 1)[0] * 3;
            for (var i = 1; i < n; i++)
                x[i] = 0.95 * x[i - 1] + Normals(random, 1, 0, 1)[0];
            return x;
        }

        var rejections = Enumerable.Range(0, 100).Count(_ => DriftStatistics.KolmogorovSmirnov(Slow(500), Slow(500)).PValue < 0.01);
        Assert.That(rejections, Is.LessThanOrEqualTo(5), "at 1 % a calibrated test rejects about 1 of 100");
    }

    [Test]
    public void Chi_square_p_value_of_class_mixes()
    {
        var even = Enumerable.Range(0, 600).Select(i => i % 3).ToList();
        Assert.That(DriftStatistics.ChiSquarePValue(even, [1.0 / 3, 1.0 / 3, 1.0 / 3]), Is.GreaterThan(0.99));
        var random = new Random(4);
        var skewed = Enumerable.Range(0, 600).Select(_ => random.NextDouble() < 0.7 ? 2 : random.Next(2)).ToList();
        Assert.That(DriftStatistics.ChiSquarePValue(skewed, [1.0 / 3, 1.0 / 3, 1.0 / 3]), Is.LessThan(1e-10));
    }

    static double[] Normals(Random random, int n, double mean, double sd) =>
        Enumerable.Range(0, n).Select(_ => mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();
}
