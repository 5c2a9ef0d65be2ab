using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Tests;

public sealed class BaselinesTests
{
    [Test]
    public void Buy_and_hold_and_always_hold_signal_what_they_say()
    {
        Assert.That(Baselines.BuyAndHoldSignals(5), Is.EqualTo(Enumerable.Repeat(SignalClasses.Buy, 5)));
        Assert.That(Baselines.AlwaysHoldSignals(4), Is.EqualTo(Enumerable.Repeat(SignalClasses.Hold, 4)));
    }

    [Test]
    public void Persistence_follows_the_sign_of_the_last_candle()
    {
        double[] open = [100, 100, 101, 103, 102, 102, 104];
        double[] close = [100, 101, 103, 102, 102, 104, 104];
        var candles = EvaluationTests.Candles(open, close: close);

        var signals = Baselines.PersistenceSignals(candles, [0, 1, 2, 3, 4, 5]);

        Assert.That(signals, Is.EqualTo(new[]
        {
            SignalClasses.Hold, SignalClasses.Buy, SignalClasses.Buy, SignalClasses.Sell, SignalClasses.Hold, SignalClasses.Buy,
        }));
    }

    [Test]
    public void Stratified_random_draws_the_training_frequencies_reproducibly()
    {
        var train = Enumerable.Repeat(SignalClasses.Sell, 20).Concat(Enumerable.Repeat(SignalClasses.Hold, 50)).Concat(Enumerable.Repeat(SignalClasses.Buy, 30))
            .ToArray();

        var signals = Baselines.StratifiedRandomSignals(train, 40_000, seed: 6);

        Assert.That(signals.Count(s => s == SignalClasses.Sell) / 40_000.0, Is.EqualTo(0.2).Within(0.01));
        Assert.That(signals.Count(s => s == SignalClasses.Hold) / 40_000.0, Is.EqualTo(0.5).Within(0.01));
        Assert.That(signals.Count(s => s == SignalClasses.Buy) / 40_000.0, Is.EqualTo(0.3).Within(0.01));
        Assert.That(Baselines.StratifiedRandomSignals(train, 100, seed: 6), Is.EqualTo(signals.Take(100)));
        Assert.That(Baselines.StratifiedRandomSignals([SignalClasses.Buy, SignalClasses.Hold], 500, 1), Has.None.EqualTo(SignalClasses.Sell));
    }

    [Test]
    public void Baselines_are_backtested_by_the_same_rule()
    {
        var open = Enumerable.Range(0, 40).Select(t => 100 * Math.Pow(1.002, t)).ToList();
        var candles = EvaluationTests.Candles(open);
        var samples = Enumerable.Range(5, 30).Select(t => new Sample(t, SignalClasses.Buy, 0, 0)).ToList();
        var options = new BacktestOptions { Horizon = 5, CostBps = 0, SlippageBps = 0, Resamples = 100 };

        var results = Baselines.Evaluate(candles, samples, trainLabels: null, options).ToDictionary(b => b.Name);

        Assert.That(results.Keys, Is.EquivalentTo(new[] { Baselines.BuyAndHold, Baselines.AlwaysHold, Baselines.Persistence }));
        var hold = results[Baselines.AlwaysHold].Backtest;
        Assert.That((hold.Trades, hold.TotalReturn, hold.Sharpe, hold.Exposure), Is.EqualTo((0, 0.0, 0.0, 0.0)));
        // Always long from open[6] to open[36]: six back-to-back trades of five candles.
        var buy = results[Baselines.BuyAndHold];
        Assert.That(buy.Backtest.Trades, Is.EqualTo(6));
        Assert.That(buy.Backtest.TotalReturn, Is.EqualTo(open[36] / open[6] - 1).Within(1e-12));
        Assert.That(buy.MacroF1, Is.EqualTo(1.0 / 3).Within(1e-12), "every label is buy: F1(buy) = 1, the others 0");
        // A steady rise: every candle closes up, so persistence is buy-and-hold.
        Assert.That(results[Baselines.Persistence].Signals, Is.EqualTo(buy.Signals));
    }
}
