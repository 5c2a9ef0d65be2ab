using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Tests;

public sealed class EvaluationTests
{
    static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Candles with the given opens, each closing at the next one's open (the last at its own), one <paramref name="step"/> apart.</summary>
    internal static List<Candle> Candles(IReadOnlyList<double> open, TimeSpan? step = null, IReadOnlyList<double>? close = null)
    {
        var every = step ?? TimeSpan.FromMinutes(1);
        return open.Select((o, t) =>
        {
            var c = close?[t] ?? (t + 1 < open.Count ? open[t + 1] : o);
            return new Candle("test", "T/USD", "1m", Start + every * t, (decimal)o, (decimal)Math.Max(o, c), (decimal)Math.Min(o, c), (decimal)c, 1m);
        }).ToList();
    }

    static BacktestOptions Frictionless(int horizon) => new() { Horizon = horizon, CostBps = 0, SlippageBps = 0, Resamples = 200 };

    [Test]
    public void Metrics_of_a_known_confusion_matrix()
    {
        int[] labels = [0, 0, 1, 1, 2, 2];
        float[] probabilities =
        [
            0.8f, 0.1f, 0.1f,   0.2f, 0.7f, 0.1f,   // sell → sell, sell → hold
            0.1f, 0.8f, 0.1f,   0.1f, 0.8f, 0.1f,   // hold → hold ×2
            0.1f, 0.1f, 0.8f,   0.6f, 0.2f, 0.2f,   // buy → buy, buy → sell
        ];
        var candles = Candles(Enumerable.Repeat(100.0, 20).ToList());
        var samples = labels.Select((l, i) => new Sample(2 + i, l, 0, 0)).ToList();

        var report = Evaluation.Evaluate(candles, samples, probabilities, Frictionless(2), trainLabels: [0, 1, 1, 2]);

        Assert.That(report.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        Assert.That(report.Precision, Is.EqualTo(new[] { 0.5, 2.0 / 3, 1.0 }).Within(1e-12));
        Assert.That(report.Recall, Is.EqualTo(new[] { 0.5, 1.0, 0.5 }).Within(1e-12));
        Assert.That(report.MacroF1, Is.EqualTo((0.5 + 0.8 + 2.0 / 3) / 3).Within(1e-12));
        Assert.That(report.ConfusionMatrix[2][0], Is.EqualTo(1));
        Assert.That(report.Labels, Is.EqualTo(labels));
        Assert.That(report.Predicted, Is.EqualTo(new[] { 0, 1, 1, 1, 2, 0 }));
        var expectedLogLoss = -(4 * Math.Log(0.8) + 2 * Math.Log(0.2)) / 6;
        Assert.That(report.LogLoss, Is.EqualTo(expectedLogLoss).Within(1e-6));
        Assert.That(report.Baselines.Select(b => b.Name),
            Is.EqualTo(new[] { Baselines.BuyAndHold, Baselines.AlwaysHold, Baselines.Persistence, Baselines.StratifiedRandom }));
        // Every sample is labelled, the classes balanced: always-hold is right on 2 of 6, F1(hold) = 2·2/(2+6), macro = 1/6.
        Assert.That(report.Baselines.Single(b => b.Name == Baselines.AlwaysHold).MacroF1, Is.EqualTo(1.0 / 6).Within(1e-12));
    }

    [Test]
    public void MacroF1_agrees_with_the_confusion_matrix_scores()
    {
        var random = new Random(3);
        for (var trial = 0; trial < 50; trial++)
        {
            var n = random.Next(1, 60);
            var labels = Enumerable.Range(0, n).Select(_ => random.Next(3)).ToArray();
            var predicted = Enumerable.Range(0, n).Select(_ => random.Next(3)).ToArray();
            Assert.That(Evaluation.MacroF1(labels, predicted), Is.EqualTo(Evaluation.Classification(labels, predicted).MacroF1).Within(1e-12));
        }
    }

    [Test]
    public void Majority_baseline_macro_f1()
    {
        // Majority "hold"; on the test set hold is half of the labels: F1(hold) = 2·0.5·1/(1.5) = 2/3, macro = 2/9.
        Assert.That(Evaluation.MajorityBaselineMacroF1([1, 1, 1, 0], [1, 1, 0, 2]), Is.EqualTo(2.0 / 9).Within(1e-12));
    }

    [Test]
    public void Backtest_enters_at_the_next_open_not_at_the_signal_close()
    {
        // Candle 5 closes at 100 and the price gaps to 110 before candle 6 opens, then stays. A buy at candle 5's close would
        // make 10 %; bought at the next open it makes nothing.
        var open = Enumerable.Range(0, 20).Select(t => t <= 5 ? 100.0 : 110.0).ToList();
        var close = open.Select((o, t) => t == 5 ? 100.0 : o).ToList();
        var candles = Candles(open, close: close);

        var report = Evaluation.Backtest(candles, [5], [SignalClasses.Buy], Frictionless(3));

        Assert.That(report.Trades, Is.EqualTo(1));
        Assert.That(report.TotalReturn, Is.EqualTo(0).Within(1e-15));
        Assert.That(report.Equity, Is.All.EqualTo(1.0).Within(1e-15));
        // The gap is real money to a signal known a candle earlier (bought at candle 5's open, before the gap).
        var early = Evaluation.Backtest(candles, [4], [SignalClasses.Buy], Frictionless(3));
        Assert.That(early.TotalReturn, Is.EqualTo(0.1).Within(1e-12));
    }

    [Test]
    public void Backtest_holds_each_position_exactly_the_horizon_and_ignores_signals_while_holding()
    {
        var open = Enumerable.Range(0, 16).Select(t => 100 * Math.Pow(1.01, t) * (t % 3 == 0 ? 1.02 : 1)).ToList();
        var candles = Candles(open);
        // buy at 2: long bars 3..5, closed at open[6]; the sells at 3 and 4 come while it is held and are ignored;
        // sell at 5: short bars 6..8, closed at open[9]; hold at 8; buy at 13 would close at open[17], beyond the data.
        int[] ends = [2, 3, 4, 5, 8, 13];
        int[] signals = [SignalClasses.Buy, SignalClasses.Sell, SignalClasses.Sell, SignalClasses.Sell, SignalClasses.Hold, SignalClasses.Buy];

        var report = Evaluation.Backtest(candles, ends, signals, Frictionless(3));

        var longLeg = open[6] / open[3];
        var shortLeg = 1 - (open[9] / open[6] - 1);
        Assert.That(report.Trades, Is.EqualTo(2));
        Assert.That(report.TotalReturn, Is.EqualTo(longLeg * shortLeg - 1).Within(1e-12));
        // Bars marked: 3..8 (the trades) and 9 (after the hold at 8); 14 (after the last signal) is flat.
        Assert.That(report.Bars, Is.EqualTo(8));
        Assert.That(report.Exposure, Is.EqualTo(6.0 / 8).Within(1e-12));
        Assert.That(report.Equity[3], Is.EqualTo(longLeg).Within(1e-12), "the long is closed after its third bar");
        Assert.That(report.BarEnds[2], Is.EqualTo(candles[6].OpenTime));
        Assert.That(report.Returns[^1], Is.Zero);
        Assert.That(report.HitRate, Is.EqualTo(0.5), "the long gains (open 6 over open 3 is 1.01³), the short loses");
    }

    [Test]
    public void Backtest_charges_cost_and_slippage_on_each_change_of_position()
    {
        var candles = Candles(Enumerable.Repeat(100.0, 20).ToList());
        // 0 → long (1 side), long continued by a buy at the close (no trade), long → short (2 sides), short → flat (1 side).
        int[] ends = [2, 5, 8];
        int[] signals = [SignalClasses.Buy, SignalClasses.Buy, SignalClasses.Sell];
        var options = new BacktestOptions { Horizon = 3, CostBps = 10, SlippageBps = 5, Resamples = 100 };

        var report = Evaluation.Backtest(candles, ends, signals, options);

        const double c = 0.0015;
        Assert.That(report.Trades, Is.EqualTo(3));
        Assert.That(report.TotalReturn, Is.EqualTo(Math.Pow(1 - c, 4) - 1).Within(1e-12));
        Assert.That(report.Returns[0], Is.EqualTo(-c).Within(1e-12), "entry side paid at the first bar");
        Assert.That(report.HitRate, Is.Zero);
        Assert.That(report.MaxDrawdown, Is.EqualTo(1 - Math.Pow(1 - c, 4)).Within(1e-12));
    }

    [Test]
    public void Backtest_annualises_with_the_bars_a_year_of_the_data()
    {
        var minutes = Enumerable.Range(0, 2_000).Select(i => Start + TimeSpan.FromMinutes(i)).ToList();
        Assert.That(Evaluation.PeriodsPerYear(minutes), Is.EqualTo(525_600).Within(1e-6));

        // Weekdays only, four years: 5/7 of 365 bars a year (a holiday calendar would bring it to about 252).
        var weekdays = Enumerable.Range(0, 4 * 365).Select(d => Start + TimeSpan.FromDays(d))
            .Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();
        Assert.That(Evaluation.PeriodsPerYear(weekdays), Is.EqualTo(5.0 / 7 * 365).Within(0.5));

        // The same prices and signals on a minute clock and on a daily clock: Sharpe scales by √(ratio of bars a year).
        var random = new Random(5);
        var open = new List<double> { 100 };
        for (var t = 1; t < 300; t++)
            open.Add(open[^1] * (1 + 0.01 * (random.NextDouble() - 0.45)));
        var ends = Enumerable.Range(0, 290).ToArray();
        var signals = ends.Select(_ => random.Next(3)).ToArray();
        var perMinute = Evaluation.Backtest(Candles(open, TimeSpan.FromMinutes(1)), ends, signals, Frictionless(2));
        var perDay = Evaluation.Backtest(Candles(open, TimeSpan.FromDays(1)), ends, signals, Frictionless(2));
        Assert.That(perMinute.PeriodsPerYear, Is.EqualTo(525_600).Within(1e-6));
        Assert.That(perDay.PeriodsPerYear, Is.EqualTo(365).Within(1e-9));
        Assert.That(perMinute.Returns, Is.EqualTo(perDay.Returns));
        Assert.That(perDay.Sharpe, Is.Not.Zero);
        Assert.That(perMinute.Sharpe / perDay.Sharpe, Is.EqualTo(Math.Sqrt(525_600.0 / 365)).Within(1e-9));
        Assert.That(perDay.AnnualisedReturn, Is.EqualTo(Math.Pow(1 + perDay.TotalReturn, 365.0 / perDay.Bars) - 1).Within(1e-12));
    }

    [Test]
    public void Backtest_annualised_return_stays_finite_for_a_short_fast_run()
    {
        // +50 % in 30 one-minute bars compounds past double's range over a year; metrics must stay serialisable.
        var open = Enumerable.Range(0, 40).Select(t => 100 * Math.Pow(1.5, Math.Min(t, 31) / 30.0)).ToList();

        var report = Evaluation.Backtest(Candles(open), Enumerable.Range(0, 30).ToArray(), Enumerable.Repeat(SignalClasses.Buy, 30).ToArray(),
            Frictionless(5));

        Assert.That(report.TotalReturn, Is.GreaterThan(0.4));
        Assert.That(double.IsFinite(report.AnnualisedReturn), Is.True);
    }

    [Test]
    public void Backtest_intervals_bracket_the_estimates_and_are_reproducible()
    {
        var random = new Random(8);
        var open = new List<double> { 100 };
        for (var t = 1; t < 600; t++)
            open.Add(open[^1] * (1 + 0.004 * (random.NextDouble() - 0.5)));
        var candles = Candles(open, TimeSpan.FromHours(1));
        var ends = Enumerable.Range(10, 580).ToArray();
        var signals = ends.Select(_ => random.Next(3)).ToArray();
        var options = new BacktestOptions { Horizon = 5, Resamples = 400, Seed = 3 };

        var report = Evaluation.Backtest(candles, ends, signals, options);
        var again = Evaluation.Backtest(candles, ends, signals, options);

        Assert.That(report.BlockLength, Is.EqualTo(Math.Max(5, (int)Math.Ceiling(Math.Cbrt(report.Bars)))));
        Assert.That(report.SharpeInterval.Lower, Is.LessThan(report.SharpeInterval.Upper));
        Assert.That(report.TotalReturnInterval.Lower, Is.LessThan(report.TotalReturnInterval.Upper));
        Assert.That(report.SharpeInterval.Estimate, Is.EqualTo(report.Sharpe));
        Assert.That(report.SharpeInterval, Is.EqualTo(again.SharpeInterval));
        Assert.That(report.Equity, Has.Length.EqualTo(report.Bars + 1));
    }

    [Test]
    public void ToMetrics_keeps_the_names_others_read_and_adds_intervals_and_baselines()
    {
        var candles = Candles(Enumerable.Range(0, 30).Select(t => 100.0 + t % 4).ToList());
        var samples = Enumerable.Range(2, 20).Select(t => new Sample(t, t % 3, 0, 0)).ToList();
        var probabilities = samples.SelectMany(s => new[] { 0.2f, 0.3f, 0.5f }).ToArray();

        var metrics = Evaluation.Evaluate(candles, samples, probabilities, Frictionless(3), [0, 1, 2]).ToMetrics();

        Assert.That(metrics.Keys, Is.SupersetOf(new[]
        {
            "f1_sell", "f1_hold", "f1_buy",
            "macro_f1", "accuracy", "log_loss", "samples", "precision_sell", "recall_buy", "backtest_sharpe", "backtest_total_return",
            "backtest_sharpe_lower", "backtest_sharpe_upper", "backtest_total_return_lower", "backtest_total_return_upper", "backtest_annual_return",
            "baseline_buy_and_hold_macro_f1", "baseline_buy_and_hold_sharpe", "baseline_always_hold_macro_f1", "baseline_persistence_sharpe",
            "baseline_stratified_random_macro_f1",
        }));
        // The model always says buy here: it is the buy-and-hold baseline.
        Assert.That(metrics["macro_f1"], Is.EqualTo(metrics["baseline_buy_and_hold_macro_f1"]));
        Assert.That(metrics["backtest_sharpe"], Is.EqualTo(metrics["baseline_buy_and_hold_sharpe"]));
    }
}
