using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Tests;

public sealed class BootstrapTests
{
    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static double Mean(double[] values) => values.Average();

    [Test]
    public void Interval_of_the_mean_of_iid_normal_data_covers_the_true_mean_about_95_percent_of_the_time()
    {
        const double trueMean = 0.3;
        const int draws = 200, n = 200;
        var random = new Random(17);
        var covered = 0;
        for (var d = 0; d < draws; d++)
        {
            var sample = Enumerable.Range(0, n).Select(_ => trueMean + Normal(random)).ToArray();
            var interval = Bootstrap.Interval(sample, Mean, Bootstrap.DefaultBlockLength(n), resamples: 500, confidence: 0.95, seed: d);
            if (interval.Contains(trueMean))
                covered++;
        }

        // 95 % nominal; a binomial(200, 0.95) lies in [180, 197] with probability > 99 %, and percentile intervals run a little short.
        Assert.That(covered, Is.InRange(178, 198), $"covered {covered} of {draws}");
    }

    [Test]
    public void Interval_widens_for_dependent_data_when_blocks_are_long_enough()
    {
        // An AR(1) series with φ = 0.8: the mean's standard error is about 3× the iid one; one-observation blocks miss that.
        var random = new Random(4);
        var series = new double[2_000];
        for (var t = 1; t < series.Length; t++)
            series[t] = 0.8 * series[t - 1] + Normal(random);

        var iid = Bootstrap.Interval(series, Mean, blockLength: 1, resamples: 400, seed: 1);
        var blocked = Bootstrap.Interval(series, Mean, blockLength: 40, resamples: 400, seed: 1);

        Assert.That(blocked.StandardError, Is.GreaterThan(2 * iid.StandardError));
    }

    [Test]
    public void Paired_difference_of_identical_predictors_is_exactly_zero()
    {
        var random = new Random(2);
        var labels = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();
        var predicted = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();

        var difference = Bootstrap.PairedDifference(labels, predicted, (int[])predicted.Clone(), Evaluation.MacroF1, 7, 1000, 0.95, 5);

        Assert.That(difference, Is.EqualTo(new ConfidenceInterval(0, 0, 0, 0)));
    }

    [Test]
    public void Paired_difference_of_a_strictly_better_predictor_has_a_positive_lower_bound()
    {
        var random = new Random(9);
        var labels = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();
        // B is A with a further 25 % of its answers replaced at random: never right where A is wrong, often wrong where A is right.
        var a = labels.Select(l => random.NextDouble() < 0.3 ? random.Next(3) : l).ToArray();
        var b = a.Select(p => random.NextDouble() < 0.25 ? random.Next(3) : p).ToArray();

        var difference = Bootstrap.PairedDifference(labels, a, b, Evaluation.MacroF1, 6, 1000, 0.95, 11);

        Assert.That(difference.Estimate, Is.EqualTo(Evaluation.MacroF1(labels, a) - Evaluation.MacroF1(labels, b)).Within(1e-15));
        Assert.That(difference.Lower, Is.GreaterThan(0));
        Assert.That(difference.Upper, Is.GreaterThan(difference.Estimate));
        Assert.That(difference.StandardError, Is.GreaterThan(0));
        // The counting fast path for macro-F1 gives what any other metric delegate would get.
        var general = Bootstrap.PairedDifference(labels, a, b, (l, p) => Evaluation.MacroF1(l, p), 6, 1000, 0.95, 11);
        Assert.That(general.Lower, Is.EqualTo(difference.Lower).Within(1e-12));
        Assert.That(general.Upper, Is.EqualTo(difference.Upper).Within(1e-12));
        Assert.That(general.StandardError, Is.EqualTo(difference.StandardError).Within(1e-12));
        // Swapping the predictors mirrors the interval.
        var swapped = Bootstrap.PairedDifference(labels, b, a, Evaluation.MacroF1, 6, 1000, 0.95, 11);
        Assert.That(swapped.Upper, Is.EqualTo(-difference.Lower).Within(1e-12));
    }

    [Test]
    public void Circular_block_resample_keeps_runs_of_consecutive_indices()
    {
        var indices = new int[50];
        Bootstrap.ResampleIndices(new Random(1), 10, indices);

        for (var block = 0; block < 5; block++)
        {
            for (var j = 1; j < 10; j++)
                Assert.That(indices[block * 10 + j], Is.EqualTo((indices[block * 10 + j - 1] + 1) % 50));
        }
    }

    [Test]
    public void Default_block_length_is_the_horizon_or_the_cube_root()
    {
        Assert.That(Bootstrap.DefaultBlockLength(300, 5), Is.EqualTo(7));
        Assert.That(Bootstrap.DefaultBlockLength(27, 1), Is.EqualTo(3));
        Assert.That(Bootstrap.DefaultBlockLength(100, 10), Is.EqualTo(10));
    }

    [Test]
    [Explicit("a timing measurement, not a check: the gate's budget of 500 simulations × 1000 resamples × 300 samples")]
    public void Paired_difference_is_fast_enough_for_gate_simulations()
    {
        var random = new Random(1);
        var labels = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();
        var a = labels.Select(l => random.NextDouble() < 0.4 ? random.Next(3) : l).ToArray();
        var b = labels.Select(l => random.NextDouble() < 0.5 ? random.Next(3) : l).ToArray();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var s = 0; s < 500; s++)
            Bootstrap.PairedDifference(labels, a, b, Evaluation.MacroF1, 7, 1000, 0.95, s);
        TestContext.Out.WriteLine($"500 × 1000 resamples of 300 samples: {watch.Elapsed.TotalSeconds:F2} s");
    }
    [Test]
    public void Paired_Sharpe_difference_is_zero_for_the_same_trades_and_positive_for_trades_that_earn_more_beyond_luck()
    {
        // A drifting market with noise: always long earns a positive Sharpe; always flat earns 0.
        var random = new Random(9);
        var open = new double[2_001];
        open[0] = 100;
        for (var i = 1; i < open.Length; i++)
            open[i] = open[i - 1] * Math.Exp(0.002 + 0.004 * Normal(random));
        var candles = EvaluationTests.Candles(open, TimeSpan.FromDays(1));
        var ends = Enumerable.Range(0, 1_900).ToArray();
        var options = new BacktestOptions { Horizon = 5, CostBps = 0, SlippageBps = 0 };
        var longs = Evaluation.Backtest(candles, ends, Baselines.BuyAndHoldSignals(ends.Length), options);
        var flat = Evaluation.Backtest(candles, ends, Baselines.AlwaysHoldSignals(ends.Length), options);

        var same = Bootstrap.PairedSharpeDifference(longs, longs, 20, 500, 0.95, 1);
        Assert.That((same.Estimate, same.Lower, same.Upper), Is.EqualTo((0.0, 0.0, 0.0)));
        var better = Bootstrap.PairedSharpeDifference(longs, flat, 20, 500, 0.95, 1);
        Assert.Multiple(() =>
        {
            Assert.That(better.Estimate, Is.EqualTo(longs.Sharpe - flat.Sharpe).Within(1e-9), "the estimate is the two backtests' own Sharpe difference");
            Assert.That(better.Lower, Is.GreaterThan(0), "0.5 daily Sharpe units of drift over 1,900 days is no luck");
            Assert.That(Bootstrap.PairedSharpeDifference(flat, longs, 20, 500, 0.95, 1).Upper, Is.LessThan(0), "and the other way round it is below 0");
        });
    }
}
