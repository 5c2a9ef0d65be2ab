using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Reporting;
using NeuralTrade.Events.Testing;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The walk-forward engine's layout (pure arithmetic) and one short run with a tiny model. The run's figures rest on a
/// trained model's floats, so only structure and invariants are asserted: fold boundaries, purges, embargo, time order,
/// pooling, and what the report carries; never a score.
/// </summary>
public sealed class WalkForwardTests
{
    [TestCase(1_000, 5, 5, 5)]
    [TestCase(731, 3, 10, 2)]
    [TestCase(5_000, 8, 1, 0)]
    public void Layout_purges_embargoes_and_keeps_test_blocks_in_time_order(int samples, int folds, int purge, int embargo)
    {
        var layouts = WalkForward.Layout(samples, folds, purge, embargo, validationShare: 0.15 / 0.85, minTrainSamples: 50);

        Assert.That(layouts, Has.Count.EqualTo(folds));
        var testSize = layouts[0].Test.Count;
        Assert.That(layouts.Select(l => l.Test.Count), Is.All.EqualTo(testSize));
        Assert.That(layouts[^1].Test.End, Is.EqualTo(samples), "the last test block ends with the data");
        Assert.That(layouts[0].Test.Start, Is.GreaterThanOrEqualTo(testSize), "the first fold has at least a block of history");
        for (var k = 0; k < folds; k++)
        {
            var l = layouts[k];
            Assert.That(l.Fold, Is.EqualTo(k));
            Assert.That(l.Train.Start, Is.Zero, "expanding window");
            Assert.That(l.Validation.Start - l.Train.End, Is.EqualTo(purge));
            Assert.That(l.Test.Start - l.Validation.End, Is.EqualTo(purge));
            Assert.That(l.Train.Count, Is.GreaterThanOrEqualTo(50));
            Assert.That(l.Validation.Count, Is.Positive);
            if (k > 0)
            {
                Assert.That(l.Test.Start - layouts[k - 1].Test.End, Is.EqualTo(embargo), "embargo between test blocks");
                Assert.That(l.Train.Count, Is.GreaterThan(layouts[k - 1].Train.Count));
            }
        }
    }

    [Test]
    public void Layout_refuses_too_few_samples()
    {
        Assert.That(() => WalkForward.Layout(200, 5, 5, 5, 0.2, minTrainSamples: 100), Throws.TypeOf<NotEnoughDataException>());
    }

    [Test]
    [Category(TestCategories.Numerics)]
    public void Run_trains_each_fold_on_its_past_and_pools_the_test_blocks()
    {
        set_num_threads(1);
        var candles = PlantedMarket.Generate(1_400, seed: 11);
        var hp = TrainedModels.Tiny with { Epochs = 2, Patience = 2, Seed = TestSeeds.Of(3) };
        var options = new WalkForwardOptions { Folds = 3, MinTrainSamples = 200, Backtest = BacktestOptions.From(hp) with { Resamples = 200 } };
        var messages = new List<string>();

        var report = WalkForward.Run(candles, hp, options, CPU, messages.Add);

        var data = SignalDataset.Build(candles, hp.WindowSize, hp.Labels);
        Assert.That(report.Folds, Has.Count.EqualTo(3));
        Assert.That((report.Purge, report.Embargo), Is.EqualTo((hp.Horizon, hp.Horizon)));
        var previousTestEnd = -1;
        foreach (var fold in report.Folds)
        {
            var l = fold.Layout;
            var trainLast = data.Samples[l.Train.End - 1].End;
            var validationFirst = data.Samples[l.Validation.Start].End;
            var validationLast = data.Samples[l.Validation.End - 1].End;
            // No label of one part looks into the next: label of candle t reads up to t + horizon.
            Assert.That(trainLast + hp.Horizon, Is.LessThan(validationFirst));
            Assert.That(validationLast + hp.Horizon, Is.LessThan(fold.Ends[0]));
            Assert.That(fold.Ends, Is.Ordered.Ascending);
            Assert.That(fold.Ends[0], Is.GreaterThan(previousTestEnd + hp.Horizon), "test blocks follow one another after the embargo");
            previousTestEnd = fold.Ends[^1];
            Assert.That(fold.Ends, Has.Length.EqualTo(l.Test.Count));
            Assert.That(fold.Labels, Is.EqualTo(data.Samples.Skip(l.Test.Start).Take(l.Test.Count).Select(s => s.Label)));
            Assert.That((fold.TestFrom, fold.TestTo), Is.EqualTo((candles[fold.Ends[0]].OpenTime, candles[fold.Ends[^1]].OpenTime)));
            Assert.That(fold.Probabilities, Has.Length.EqualTo(3 * l.Test.Count));
            Assert.That(fold.Predicted, Is.All.InRange(0, 2));
            Assert.That(fold.Test.Samples, Is.EqualTo(l.Test.Count));
            Assert.That(fold.Test.MacroF1, Is.EqualTo(Evaluation.MacroF1(fold.Labels, fold.Predicted)).Within(1e-12));
            Assert.That(fold.MacroF1Interval.Lower, Is.LessThanOrEqualTo(fold.MacroF1Interval.Upper));
            Assert.That(fold.History, Is.Not.Empty.And.Count.LessThanOrEqualTo(hp.Epochs));
            // Calibrated as a training is: a temperature fitted on the fold's validation part, rows still distributions.
            Assert.That(fold.Temperature, Is.GreaterThan(0).And.Not.EqualTo(1.0));
            for (var row = 0; row < l.Test.Count; row++)
                Assert.That(fold.Probabilities[(3 * row)..(3 * row + 3)].Sum(), Is.EqualTo(1f).Within(1e-5f));
            Assert.That(fold.Test.Baselines.Select(b => b.Name),
                Is.EquivalentTo(new[] { Baselines.BuyAndHold, Baselines.AlwaysHold, Baselines.Persistence, Baselines.StratifiedRandom }));
        }

        var a = report.Aggregate;
        Assert.That(a.Samples, Is.EqualTo(report.Folds.Sum(f => f.Test.Samples)));
        Assert.That(a.MacroF1.Estimate, Is.EqualTo(Evaluation.MacroF1(report.Folds.SelectMany(f => f.Labels).ToArray(),
            report.Folds.SelectMany(f => f.Predicted).ToArray())).Within(1e-12));
        Assert.That(a.Backtest.Trades, Is.EqualTo(report.Folds.Sum(f => f.Test.Backtest.Trades)), "the embargo keeps the folds' trades apart");
        Assert.That(a.Baselines, Has.Count.EqualTo(4));
        foreach (var b in a.Baselines)
            Assert.That(b.MacroF1Difference.Lower, Is.LessThanOrEqualTo(b.MacroF1Difference.Estimate).And.LessThanOrEqualTo(b.MacroF1Difference.Upper));
        Assert.That(a.Verdict, a.SignificantEdge ? Does.StartWith("significant classification edge over every baseline")
            : Does.StartWith("no significant classification edge: "));
        Assert.That(a.Verdict, a.TradingEdge ? Does.EndWith("significant trading edge over every baseline (Sharpe, net of costs)")
            : Does.Contain("; no significant trading edge: "));
        foreach (var b in a.Baselines)
            Assert.That(b.SharpeDifference.Lower, Is.LessThanOrEqualTo(b.SharpeDifference.Upper));

        var table = report.ToTable();
        TestContext.Out.WriteLine(table);
        Assert.That(table, Does.Contain("verdict: " + a.Verdict));
        Assert.That(table.Split('\n').Count(line => line.Length > 0 && char.IsDigit(line[0])), Is.EqualTo(3), "one row per fold");
        Assert.That(messages, Has.Some.StartWith("fold 3/3: epoch"));

        // The report's own plots.
        PlotsTests.AssertPng(Plots.FoldMetrics(report, 800, 600), 800, 600);
        PlotsTests.AssertPng(Plots.EquityCurves(report, 800, 400), 800, 400);
        PlotsTests.AssertPng(Plots.LearningCurves(report, 640, 480), 640, 480);
        PlotsTests.AssertPng(Plots.Reliability(report.Folds.SelectMany(f => f.Probabilities).ToArray(), report.Folds.SelectMany(f => f.Labels).ToArray(),
            width: 500, height: 500), 500, 500);
        PlotsTests.AssertPng(Plots.ConfusionMatrix(report.Folds[^1].Test.ConfusionMatrix, 500, 450), 500, 450);
    }

    [Test]
    public void Run_honours_cancellation()
    {
        var candles = PlantedMarket.Generate(1_400, seed: 11);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => WalkForward.Run(candles, TrainedModels.Tiny with { Epochs = 1 }, new WalkForwardOptions { Folds = 3, MinTrainSamples = 200 }, CPU,
            cancellationToken: cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }
}
