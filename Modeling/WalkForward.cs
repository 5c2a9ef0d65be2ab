using System.Globalization;
using System.Text;
using NeuralTrade.Events.Contracts;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>A run of consecutive samples of a <see cref="SignalDataset"/>: indices [Start, Start + Count).</summary>
public readonly record struct SampleRange(int Start, int Count)
{
    public int End => Start + Count;
}

/// <summary>Where one fold's parts lie among the dataset's samples.</summary>
public sealed record FoldLayout(int Fold, SampleRange Train, SampleRange Validation, SampleRange Test);

/// <summary>How <see cref="WalkForward"/> cuts the series and backtests.</summary>
public sealed record WalkForwardOptions
{
    /// <summary>Folds K: the samples are cut so that the K test blocks and the first fold's history are about equal.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Fewest training samples the first fold may have.</summary>
    public int MinTrainSamples { get; init; } = 100;

    /// <summary>Samples left out after each test block before the next one; null: the label horizon.</summary>
    public int? Embargo { get; init; }

    /// <summary>Backtest rule and bootstrap settings; null: <see cref="BacktestOptions.From"/> the hyperparameters.</summary>
    public BacktestOptions? Backtest { get; init; }
}

/// <summary>One fold: where it lay, how training went, the test block's evaluation and what the plots and the pooling need.</summary>
public sealed record WalkForwardFold(
    FoldLayout Layout,
    DateTimeOffset TestFrom,
    DateTimeOffset TestTo,
    EvaluationReport Test,
    ConfidenceInterval MacroF1Interval,
    int BestEpoch,
    IReadOnlyList<EpochProgress> History,
    int[] Ends,
    int[] Labels,
    int[] Predicted,
    float[] Probabilities)
{
    /// <summary>The fold's temperature, fitted on its validation part; <see cref="Probabilities"/> and the log-loss are calibrated with it.</summary>
    public double Temperature { get; init; } = 1;
}

/// <summary>The model against one baseline on the pooled test samples.</summary>
/// <param name="MacroF1Difference">Model macro-F1 minus the baseline's, with its paired block-bootstrap interval.</param>
/// <param name="SharpeDifference">Model Sharpe minus the baseline's (net of costs), with its paired block-bootstrap interval.</param>
public sealed record BaselineComparison(string Name, double MacroF1, BacktestReport Backtest, ConfidenceInterval MacroF1Difference,
    ConfidenceInterval SharpeDifference)
{
    /// <summary>The model classifies better than the baseline beyond luck.</summary>
    public bool Significant => MacroF1Difference.Lower > 0;

    /// <summary>The model's trades earn more per unit of risk than the baseline's beyond luck.</summary>
    public bool TradingSignificant => SharpeDifference.Lower > 0;
}

/// <summary>All folds' test samples pooled.</summary>
public sealed record WalkForwardAggregate(
    int Samples,
    double Accuracy,
    ConfidenceInterval MacroF1,
    BacktestReport Backtest,
    IReadOnlyList<BaselineComparison> Baselines,
    int BlockLength,
    string Verdict)
{
    /// <summary>A classification edge: macro-F1 above every baseline's beyond luck.</summary>
    public bool SignificantEdge => Baselines.Count > 0 && Baselines.All(b => b.Significant);

    /// <summary>A trading edge: Sharpe above every baseline's beyond luck (net of costs and slippage, next-open execution).</summary>
    public bool TradingEdge => Baselines.Count > 0 && Baselines.All(b => b.TradingSignificant);
}

public sealed record WalkForwardReport(IReadOnlyList<WalkForwardFold> Folds, WalkForwardAggregate Aggregate, int Purge, int Embargo)
{
    /// <summary>Per-fold and pooled figures as fixed-width text.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var names = Aggregate.Baselines.Select(b => b.Name).ToList();
        var s = new StringBuilder();
        s.AppendLine(c, $"Walk-forward: {Folds.Count} folds, purge {Purge}, embargo {Embargo}, block length {Aggregate.BlockLength}");
        s.Append(c, $"{"fold",-5}{"train",14}{"validation",14}{"test from",18}{"test to",18}{"n",6}{"macro-F1 [CI]",24}{"Sharpe [CI]",26}{"return",9}{"trades",7}");
        foreach (var name in names)
            s.Append(c, $"  {Abbreviation(name) + " F1/Sh",-14}");
        s.AppendLine();
        foreach (var f in Folds)
        {
            var l = f.Layout;
            var b = f.Test.Backtest;
            s.Append(c, $"{l.Fold + 1,-5}{Range(l.Train),14}{Range(l.Validation),14}{f.TestFrom,18:yyyy-MM-dd HH:mm}{f.TestTo,18:yyyy-MM-dd HH:mm}{f.Test.Samples,6}");
            s.Append(c, $"{Interval(f.MacroF1Interval, "F3"),24}{Interval(b.SharpeInterval, "F2"),26}{b.TotalReturn,9:P2}{b.Trades,7}");
            foreach (var name in names)
            {
                var baseline = f.Test.Baselines.FirstOrDefault(x => x.Name == name);
                s.Append(c, $"  {(baseline is null ? "-" : $"{baseline.MacroF1:F3}/{baseline.Backtest.Sharpe:F2}"),-14}");
            }

            s.AppendLine();
        }

        var a = Aggregate;
        s.AppendLine(c, $"pooled: {a.Samples} samples, accuracy {a.Accuracy:F3}, macro-F1 {Interval(a.MacroF1, "F3")}, Sharpe {Interval(a.Backtest.SharpeInterval, "F2")}, " +
            $"total return {Interval(a.Backtest.TotalReturnInterval, "P2")}, annualised {Annualised(a.Backtest.AnnualisedReturn)}, max drawdown {a.Backtest.MaxDrawdown:P2}, " +
            $"exposure {a.Backtest.Exposure:P1}, {a.Backtest.Trades} trades");
        s.AppendLine(c, $"{"baseline",-20}{"macro-F1",10}{"Sharpe",10}{"model − baseline macro-F1 [CI]",36}{"significant",13}{"model − baseline Sharpe [CI]",32}{"significant",13}");
        foreach (var b in a.Baselines)
        {
            s.AppendLine(c, $"{b.Name,-20}{b.MacroF1,10:F3}{b.Backtest.Sharpe,10:F2}{Interval(b.MacroF1Difference, "+0.000;-0.000"),36}{(b.Significant ? "yes" : "no"),13}" +
                $"{Interval(b.SharpeDifference, "+0.00;-0.00"),32}{(b.TradingSignificant ? "yes" : "no"),13}");
        }
        s.AppendLine(c, $"verdict: {a.Verdict}");
        return s.ToString();
    }

    /// <summary>An annualised return as a percentage, or as a growth factor where a short fast series compounds beyond reason.</summary>
    static string Annualised(double r) => Math.Abs(r) < 100
        ? r.ToString("P2", CultureInfo.InvariantCulture)
        : "×" + (1 + r).ToString("G3", CultureInfo.InvariantCulture);

    static string Range(SampleRange r) => r.Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{r.Start}-{r.End - 1}");

    static string Interval(ConfidenceInterval i, string format) => string.Create(CultureInfo.InvariantCulture,
        $"{i.Estimate.ToString(format, CultureInfo.InvariantCulture)} [{i.Lower.ToString(format, CultureInfo.InvariantCulture)}, {i.Upper.ToString(format, CultureInfo.InvariantCulture)}]");

    static string Abbreviation(string name) => name switch
    {
        Baselines.BuyAndHold => "b&h",
        Baselines.AlwaysHold => "hold",
        Baselines.Persistence => "persist",
        Baselines.StratifiedRandom => "random",
        _ => name,
    };
}

/// <summary>
/// Rolling-origin (walk-forward) evaluation with an expanding training window. One <see cref="SignalDataset"/> is built;
/// its N samples are cut into K test blocks of T = ⌊(N − (K−1)·E) / (K+1)⌋ samples each, at the end of the series, one
/// after another with an embargo of E samples after each (so no trade of one block runs into the next block's bars); the
/// first block starts after N − K·T − (K−1)·E ≥ T samples of history. Fold k trains on every sample before its test
/// block except the last part: train, purge of P samples, validation (the hyperparameters' validation share of
/// train + validation), purge of P, test. P is the label horizon, so no training or validation label is computed from a
/// candle a test window sees. Each fold trains a fresh model (<see cref="SignalTrainer.Train"/>, scaler fitted on its
/// training part), predicts its test block and evaluates it with <see cref="Evaluation.Evaluate"/> (classification,
/// backtest, baselines). The pooled test samples get block-bootstrap intervals of macro-F1 and Sharpe and, per baseline,
/// a paired block bootstrap of the macro-F1 difference. The verdict claims an edge only when every difference's lower
/// bound is above 0 (an intersection–union test: no multiplicity correction is needed).
/// Synchronous: TorchSharp's dispose scopes are per thread. Cancellable between batches.
/// </summary>
public static class WalkForward
{
    /// <summary>The folds' parts for <paramref name="samples"/> samples (see the class summary).</summary>
    public static IReadOnlyList<FoldLayout> Layout(int samples, int folds, int purge, int embargo, double validationShare, int minTrainSamples)
    {
        if (folds < 1)
            throw new ArgumentOutOfRangeException(nameof(folds), folds, "at least one fold");
        if (purge < 0 || embargo < 0)
            throw new ArgumentOutOfRangeException(nameof(purge), "purge and embargo cannot be negative");
        if (validationShare is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationShare), validationShare, "a share in (0, 1)");
        var testSize = (samples - (folds - 1) * embargo) / (folds + 1);
        var firstTest = samples - folds * testSize - (folds - 1) * embargo;
        var layouts = new List<FoldLayout>(folds);
        for (var k = 0; k < folds; k++)
        {
            var testStart = firstTest + k * (testSize + embargo);
            var history = testStart - 2 * purge;
            var validation = Math.Max(1, (int)Math.Round(history * validationShare));
            var train = history - validation;
            if (testSize < 1 || train < Math.Max(1, minTrainSamples))
                throw new NotEnoughDataException(
                    $"{samples} samples are too few for {folds} walk-forward folds with purge {purge} and embargo {embargo}: fold {k + 1} would " +
                    $"train on {train} samples (at least {minTrainSamples}) and test on {testSize}");
            layouts.Add(new FoldLayout(k, new SampleRange(0, train), new SampleRange(train + purge, validation), new SampleRange(testStart, testSize)));
        }

        return layouts;
    }

    public static WalkForwardReport Run(IReadOnlyList<Candle> candles, Hyperparameters hp, WalkForwardOptions? options = null, Device? device = null,
        Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(hp);
        options ??= new WalkForwardOptions();
        var problems = hp.Validate().ToList();
        if (problems.Count > 0)
            throw new TrainingRequestException("invalid hyperparameters: " + string.Join("; ", problems));
        device ??= TorchDevices.Best();
        var backtest = options.Backtest ?? BacktestOptions.From(hp);
        var purge = hp.Horizon;
        var embargo = options.Embargo ?? hp.Horizon;
        var data = SignalDataset.Build(candles, hp.WindowSize, hp.Labels, null, hp.MaxGapCandles);
        // The same guard as a training: no feature reads a later candle (every fold trains on these features).
        LeakageGuards.VerifyCausalFeatures(candles, c => FeatureCalculator.Compute(c), data.Features);
        var layouts = Layout(data.Samples.Count, options.Folds, purge, embargo, hp.ValidationFraction / (hp.TrainFraction + hp.ValidationFraction),
            options.MinTrainSamples);
        progress?.Invoke($"walk-forward over {data.Samples.Count} samples: {layouts.Count} folds of {layouts[0].Test.Count} test samples, " +
            $"purge {purge}, embargo {embargo}");

        var folds = new List<WalkForwardFold>(layouts.Count);
        foreach (var layout in layouts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            folds.Add(RunFold(data, candles, layout, layouts.Count, hp, backtest, device, progress, cancellationToken));
        }

        var aggregate = Aggregate(candles, folds, backtest);
        progress?.Invoke($"walk-forward done: {aggregate.Verdict}");
        return new WalkForwardReport(folds, aggregate, purge, embargo);
    }

    static WalkForwardFold RunFold(SignalDataset data, IReadOnlyList<Candle> candles, FoldLayout layout, int folds, Hyperparameters hp,
        BacktestOptions backtest, Device device, Action<string>? progress, CancellationToken cancellationToken)
    {
        var samples = data.Samples;
        var split = new DataSplit(Slice(samples, layout.Train), Slice(samples, layout.Validation), Slice(samples, layout.Test), hp.Horizon);
        LeakageGuards.VerifySplit(data, split);
        var trainLabels = split.Train.Select(s => s.Label).ToList();
        if (trainLabels.Distinct().Count() < 2)
            throw new TrainingRequestException($"fold {layout.Fold + 1}'s training part holds a single class; widen the range or lower the threshold.");
        var name = $"fold {layout.Fold + 1}/{folds}";
        progress?.Invoke($"{name}: training on {split.Train.Count} samples, validating on {split.Validation.Count}, testing on {split.Test.Count}");
        using var trained = SignalTrainer.Train(data, split, hp, device,
            progress is null ? null : e => progress($"{name}: epoch {e.Epoch}/{e.MaxEpochs} train loss {e.TrainLoss:F4} validation loss {e.ValidationLoss:F4}"),
            cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        // Calibrated as a training is: temperature scaling fitted on the fold's validation part (argmax, and so every
        // classification and trading figure, unchanged; the log-loss is the calibrated one). One seed per fold.
        var validationRaw = Predictor.PredictProbabilities(trained.Model, data, trained.Scaler, split.Validation, SignalTrainer.EvaluationBatch(hp), device);
        var temperature = Calibration.FitTemperature(validationRaw, [.. split.Validation.Select(s => s.Label)]);
        var probabilities = Predictor.PredictProbabilities(trained.Model, data, trained.Scaler, split.Test, SignalTrainer.EvaluationBatch(hp), device);
        Calibration.Apply(probabilities, temperature);
        var foldOptions = backtest with { Seed = backtest.Seed + layout.Fold };
        var report = Evaluation.Evaluate(candles, split.Test, probabilities, foldOptions, trainLabels);
        var labels = split.Test.Select(s => s.Label).ToArray();
        var predicted = SignalClasses.ArgMax(probabilities);
        var f1 = Bootstrap.Metric(labels, predicted, Evaluation.MacroF1, backtest.BlockLength ?? Bootstrap.DefaultBlockLength(labels.Length, hp.Horizon),
            backtest.Resamples, backtest.Confidence, foldOptions.Seed);
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"{name}: macro-F1 {report.MacroF1:F3}, Sharpe {report.Backtest.Sharpe:F2}, total return {report.Backtest.TotalReturn:P2}"));
        return new WalkForwardFold(layout, candles[split.Test[0].End].OpenTime, candles[split.Test[^1].End].OpenTime, report, f1, trained.BestEpoch,
            trained.History, split.Test.Select(s => s.End).ToArray(), labels, predicted, probabilities) { Temperature = temperature };
    }

    static WalkForwardAggregate Aggregate(IReadOnlyList<Candle> candles, List<WalkForwardFold> folds, BacktestOptions backtest)
    {
        var labels = folds.SelectMany(f => f.Labels).ToArray();
        var predicted = folds.SelectMany(f => f.Predicted).ToArray();
        var ends = folds.SelectMany(f => f.Ends).ToArray();
        var blockLength = backtest.BlockLength ?? Bootstrap.DefaultBlockLength(labels.Length, backtest.Horizon);
        var macroF1 = Bootstrap.Metric(labels, predicted, Evaluation.MacroF1, blockLength, backtest.Resamples, backtest.Confidence, backtest.Seed);
        var pooled = Evaluation.Backtest(candles, ends, predicted, backtest);
        var accuracy = (double)labels.Where((l, i) => l == predicted[i]).Count() / labels.Length;

        var comparisons = new List<BaselineComparison>();
        foreach (var name in folds[0].Test.Baselines.Select(b => b.Name))
        {
            var signals = folds.SelectMany(f => f.Test.Baselines.First(b => b.Name == name).Signals).ToArray();
            var baseline = Baselines.Score(name, signals, candles, ends, labels, backtest);
            var difference = Bootstrap.PairedDifference(labels, predicted, signals, Evaluation.MacroF1, blockLength, backtest.Resamples,
                backtest.Confidence, backtest.Seed);
            var sharpe = Bootstrap.PairedSharpeDifference(pooled, baseline.Backtest, blockLength, backtest.Resamples, backtest.Confidence, backtest.Seed);
            comparisons.Add(new BaselineComparison(name, baseline.MacroF1, baseline.Backtest, difference, sharpe));
        }

        var losing = comparisons.Where(c => !c.Significant).ToList();
        var notEarning = comparisons.Where(c => !c.TradingSignificant).ToList();
        var classification = comparisons.Count == 0 ? "no significant edge: no baselines to compare with"
            : losing.Count == 0 ? "significant classification edge over every baseline"
            : "no significant classification edge: " + string.Join("; ", losing.Select(c => string.Create(CultureInfo.InvariantCulture,
                $"macro-F1 − {c.Name} {c.MacroF1Difference.Estimate:+0.000;-0.000} [{c.MacroF1Difference.Lower:+0.000;-0.000}, {c.MacroF1Difference.Upper:+0.000;-0.000}]")));
        var trading = comparisons.Count == 0 ? ""
            : notEarning.Count == 0 ? "; significant trading edge over every baseline (Sharpe, net of costs)"
            : "; no significant trading edge: " + string.Join("; ", notEarning.Select(c => string.Create(CultureInfo.InvariantCulture,
                $"Sharpe − {c.Name} {c.SharpeDifference.Estimate:+0.00;-0.00} [{c.SharpeDifference.Lower:+0.00;-0.00}, {c.SharpeDifference.Upper:+0.00;-0.00}]")));
        var verdict = classification + trading;
        return new WalkForwardAggregate(labels.Length, accuracy, macroF1, pooled, comparisons, blockLength, verdict);
    }

    static List<Sample> Slice(IReadOnlyList<Sample> samples, SampleRange range)
    {
        var slice = new List<Sample>(range.Count);
        for (var i = range.Start; i < range.End; i++)
            slice.Add(samples[i]);
        return slice;
    }
}
