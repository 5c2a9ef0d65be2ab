using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Tests;

public sealed class EvaluationTests
{
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

        var report = Evaluation.Evaluate(labels, probabilities, [0, 0, 0, 0, 0, 0], 0, TimeSpan.FromMinutes(1));

        Assert.That(report.Accuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        Assert.That(report.Precision, Is.EqualTo(new[] { 0.5, 2.0 / 3, 1.0 }).Within(1e-12));
        Assert.That(report.Recall, Is.EqualTo(new[] { 0.5, 1.0, 0.5 }).Within(1e-12));
        Assert.That(report.MacroF1, Is.EqualTo((0.5 + 0.8 + 2.0 / 3) / 3).Within(1e-12));
        Assert.That(report.ConfusionMatrix[2][0], Is.EqualTo(1));
        var expectedLogLoss = -(4 * Math.Log(0.8) + 2 * Math.Log(0.2)) / 6;
        Assert.That(report.LogLoss, Is.EqualTo(expectedLogLoss).Within(1e-6));
    }

    [Test]
    public void Backtest_pays_costs_on_position_changes_and_tracks_drawdown()
    {
        // buy, buy, hold, sell: returns +1%, −2%, +5% (flat), −1% (short gains).
        var report = Evaluation.Backtest([2, 2, 1, 0], [0.01, -0.02, 0.05, -0.01], costBps: 10, TimeSpan.FromDays(1));

        var pnl = new[] { 0.01 - 0.001, -0.02, 0 - 0.001, 0.01 - 0.001 };
        var equity = pnl.Aggregate(1.0, (e, p) => e * (1 + p));
        Assert.That(report.TotalReturn, Is.EqualTo(equity - 1).Within(1e-12));
        Assert.That(report.Trades, Is.EqualTo(3));
        Assert.That(report.HitRate, Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(report.MaxDrawdown, Is.EqualTo(1 - (1 + pnl[1]) * (1 + pnl[2])).Within(1e-12));
    }

    [Test]
    public void Majority_baseline_macro_f1()
    {
        // Majority "hold"; on the test set hold is half of the labels: F1(hold) = 2·0.5·1/(1.5) = 2/3, macro = 2/9.
        Assert.That(Evaluation.MajorityBaselineMacroF1([1, 1, 1, 0], [1, 1, 0, 2]), Is.EqualTo(2.0 / 9).Within(1e-12));
    }
}
