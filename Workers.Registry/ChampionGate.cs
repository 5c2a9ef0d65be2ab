using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary>
/// The champion gate. It scores the candidate, the champion and the baselines on one window that neither model trained
/// or validated on (the candidate's held-out test window, less anything the champion saw), with features computed from
/// a full warm-up history exactly as in training, every model's probabilities calibrated, and every model labelled by
/// the same label spec (a champion with another label spec predicts another target: the candidate is refused, never
/// scored against a mixed truth). It then promotes only what is significantly better:
/// <list type="number">
/// <item>every floor is reached (<see cref="RegistryOptions.Floors"/>);</item>
/// <item>the candidate beats every baseline (always-hold, always-buy, the history's majority class, persistence, a
/// stratified random signal): the lower bound of the paired block-bootstrap interval of the metric difference is above
/// zero (<see cref="RegistryOptions.Confidence"/>, 95 % by default);</item>
/// <item>its trades earn more than buy-and-hold's and than staying out: the paired block-bootstrap interval of the Sharpe
/// difference (next-open execution, held for the label horizon, costs and slippage) lies above zero
/// (<see cref="RegistryOptions.RequireTradingEdge"/>);</item>
/// <item>it beats the champion the same way, with the interval widened by the candidate's seed spread (an improvement
/// smaller than reseeding the same recipe moves the score is not an improvement), and by at least
/// <see cref="RegistryOptions.Margin"/> in point estimate.</item>
/// </list>
/// With <see cref="RegistryOptions.Confidence"/> 0 the intervals are skipped and point estimates decide (for tests of
/// the registry's mechanics, never for production).
/// </summary>
public static class ChampionGate
{
    /// <summary>Metric names of the gate's own figures (prefixed <c>gate_</c> where a version stores them).</summary>
    public const string SamplesMetric = "samples", ChampionDeltaMetric = "delta_vs_champion", ChampionLowerMetric = "lower_vs_champion",
        BaselineLowerMetric = "lower_vs_best_baseline", SharpeLowerMetric = "sharpe_lower_vs_passive";

    public static GateDecision Decide(LoadedModel candidate, LoadedModel? champion, IReadOnlyList<Candle> candles, RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(options);
        var labels = candidate.Manifest.Labels;
        var (from, to) = Window(candidate, champion);
        var empty = new Dictionary<string, double>();
        if (champion is not null && champion.Manifest.Labels != labels)
        {
            return new GateDecision(false,
                $"the champion predicts another target (labels {Describe(champion.Manifest.Labels)}) than the candidate ({Describe(labels)}): " +
                "the two cannot be scored against one truth; retrain with the champion's label settings, or promote the candidate explicitly " +
                "(`models promote`) if the target is meant to change", empty, empty, from, to);
        }

        if (from > to)
        {
            return new GateDecision(false,
                $"no window is left that neither model trained or validated on: the champion saw the candidate's whole test window " +
                $"(up to {Seen(champion!):O}); train the candidate on newer data", empty, empty, from, to);
        }

        var cost = CostBps(candidate);
        var scored = Score(candidate, candles, labels, from, to);
        if (scored.Samples.Count < options.MinSamples)
        {
            return new GateDecision(false,
                $"only {scored.Samples.Count} labelled windows lie between {from:O} and {to:O} outside both models' training and validation data; " +
                $"the gate needs {options.MinSamples} (Registry:MinSamples) to tell skill from luck", empty, empty, from, to);
        }

        var truth = scored.Samples.Select(s => s.Label).ToArray();
        var backtest = new BacktestOptions { Horizon = labels.Horizon, CostBps = cost, Seed = options.Seed };
        var historyLabels = scored.History.Select(s => s.Label).ToList();
        var candidateReport = Evaluation.Evaluate(candles, scored.Samples, scored.Probabilities, backtest, historyLabels.Count > 0 ? historyLabels : null);
        var candidateMetrics = new Dictionary<string, double>(candidateReport.ToMetrics());
        var candidatePredicted = SignalClasses.ArgMax(scored.Probabilities);
        candidateMetrics[SamplesMetric] = truth.Length;

        Dictionary<string, double> championMetrics = [];
        int[]? championPredicted = null;
        if (champion is not null)
        {
            var championScored = Score(champion, candles, labels, from, to);
            // Same candles, same labels: the same windows by end candle (each model reads its own window length behind it).
            var byEnd = championScored.Samples.Select((s, i) => (s.End, i)).ToDictionary(x => x.End, x => x.i);
            championPredicted = new int[truth.Length];
            var championProbabilities = new float[truth.Length * SignalClasses.Count];
            var championPredictions = SignalClasses.ArgMax(championScored.Probabilities);
            for (var i = 0; i < truth.Length; i++)
            {
                if (!byEnd.TryGetValue(scored.Samples[i].End, out var j))
                    throw new InvalidOperationException($"the champion has no window ending at candle {scored.Samples[i].End}; the gate's candles are too few");
                championPredicted[i] = championPredictions[j];
                championScored.Probabilities.AsSpan(j * SignalClasses.Count, SignalClasses.Count)
                    .CopyTo(championProbabilities.AsSpan(i * SignalClasses.Count));
            }

            championMetrics = new Dictionary<string, double>(Evaluation.Evaluate(candles, scored.Samples, championProbabilities, backtest).ToMetrics());
        }

        var metric = options.Metric;
        Func<int[], int[], double> score = metric == "accuracy" ? Accuracy : Evaluation.MacroF1;
        var value = score(truth, candidatePredicted);
        foreach (var (name, floor) in options.Floors)
        {
            if (!candidateMetrics.TryGetValue(name, out var v))
                return new GateDecision(false, $"floor metric '{name}' is not among the evaluation's metrics", candidateMetrics, championMetrics, from, to);
            var fails = RegistryOptions.LowerIsBetter(name) ? v > floor : v < floor;
            if (fails)
                return new GateDecision(false, $"{name} {v:0.####} does not reach the floor {floor:0.####}", candidateMetrics, championMetrics, from, to);
        }

        var blockLength = BlockLength(options, labels.Horizon, truth.Length);
        // Every baseline is scored (its figures go with the decision); beating each is required unless switched off.
        var worstLower = double.PositiveInfinity;
        foreach (var (name, predicted) in GateBaselines.Signals(scored.Samples, candles, scored.History, options.Seed))
        {
            var baselineValue = score(truth, predicted);
            candidateMetrics[$"baseline_{name}_{metric}"] = baselineValue;
            var (delta, lower) = Compare(truth, candidatePredicted, predicted, score, blockLength, options, 0);
            worstLower = Math.Min(worstLower, lower);
            candidateMetrics[BaselineLowerMetric] = worstLower;
            var beaten = options.Confidence > 0 ? lower > 0 : delta > 0;
            if (!beaten && options.RequireBeatBaseline)
            {
                return new GateDecision(false, options.Confidence > 0
                        ? $"{metric} {value:0.####} does not beat the {name} baseline's {baselineValue:0.####} significantly: difference {delta:+0.####;-0.####}, " +
                          $"{options.Confidence:P0} interval lower bound {lower:+0.####;-0.####} (must be above 0)"
                        : $"{metric} {value:0.####} does not beat the {name} baseline's {baselineValue:0.####}",
                    candidateMetrics, championMetrics, from, to);
            }
        }

        // Trading: the signals traded (next-open entry, held for the horizon, costs and slippage) must earn more per unit of
        // risk than the passive choices, holding the market and staying out, beyond luck. A classifier that separates the
        // classes but trades worse than buy-and-hold is not served. (Active baselines such as persistence are beaten on the
        // metric above; in a trending market they trade well too, and out-trading them is not asked.)
        var worstSharpeLower = double.PositiveInfinity;
        foreach (var baseline in candidateReport.Baselines.Where(b => b.Name is Baselines.BuyAndHold or Baselines.AlwaysHold))
        {
            var sharpe = options.Confidence > 0
                ? Bootstrap.PairedSharpeDifference(candidateReport.Backtest, baseline.Backtest, blockLength, options.Resamples, options.Confidence, options.Seed)
                : ConfidenceInterval.Degenerate(candidateReport.Backtest.Sharpe - baseline.Backtest.Sharpe);
            worstSharpeLower = Math.Min(worstSharpeLower, sharpe.Lower);
            candidateMetrics[SharpeLowerMetric] = worstSharpeLower;
            var earns = options.Confidence > 0 ? sharpe.Lower > 0 : sharpe.Estimate > 0;
            if (!earns && options.RequireTradingEdge)
            {
                return new GateDecision(false,
                    $"its trades (next-open entry, held {labels.Horizon} candles, {cost} bp cost and {backtest.SlippageBps} bp slippage a side) do not earn " +
                    $"more than the {baseline.Name} baseline's: Sharpe {candidateReport.Backtest.Sharpe:0.##} against {baseline.Backtest.Sharpe:0.##}, " +
                    $"difference {sharpe.Estimate:+0.##;-0.##}" + (options.Confidence > 0 ? $", {options.Confidence:P0} lower bound {sharpe.Lower:+0.##;-0.##} (must be above 0)" : ""),
                    candidateMetrics, championMetrics, from, to);
            }
        }

        if (champion is null)
        {
            return new GateDecision(true, $"first model: {metric} {value:0.####} on {truth.Length} held-out windows beats every baseline" +
                (options.Confidence > 0 ? $" at {options.Confidence:P0} confidence" : ""), candidateMetrics, championMetrics, from, to);
        }

        var seedSpread = CandidateSeedSpread(candidate.Manifest.Seeds, options);
        var (championDelta, championLower) = Compare(truth, candidatePredicted, championPredicted!, score, blockLength, options, seedSpread);
        candidateMetrics[ChampionDeltaMetric] = championDelta;
        candidateMetrics[ChampionLowerMetric] = championLower;
        var championValue = score(truth, championPredicted!);
        var better = championDelta >= options.Margin && (options.Confidence <= 0 || championLower > 0);
        return better
            ? new GateDecision(true,
                $"{metric} {value:0.####} beats the champion's {championValue:0.####} on {truth.Length} held-out windows: difference {championDelta:+0.####;-0.####}" +
                (options.Confidence > 0 ? $", {options.Confidence:P0} lower bound {championLower:+0.####;-0.####} (seed spread {seedSpread:0.###} included)" : ""),
                candidateMetrics, championMetrics, from, to)
            : new GateDecision(false,
                $"{metric} {value:0.####} does not beat the champion's {championValue:0.####} significantly: difference {championDelta:+0.####;-0.####}" +
                (options.Confidence > 0
                    ? $", {options.Confidence:P0} lower bound {championLower:+0.####;-0.####} with seed spread {seedSpread:0.###} (must be above 0" +
                      (options.Margin > 0 ? $", difference at least {options.Margin}" : "") + ")"
                    : $" (must be at least {options.Margin})"),
                candidateMetrics, championMetrics, from, to);
    }

    /// <summary>
    /// The seed spread that widens the interval against the champion: the candidate's score is one draw of its recipe's
    /// seeds, so its run's standard deviation over its seeds, never below <see cref="RegistryOptions.SeedSpreadPrior"/>
    /// (three seeds estimate a standard deviation poorly, and a one-seed run has none). The champion's weights are fixed
    /// and were not chosen on this window, so its score here is not a lucky draw: the bootstrap covers its noise.
    /// </summary>
    public static double CandidateSeedSpread(SeedSpread? candidate, RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return candidate is { SeedValues.Count: > 1 } && double.IsFinite(candidate.StandardDeviation)
            ? Math.Max(candidate.StandardDeviation, options.SeedSpreadPrior)
            : options.SeedSpreadPrior;
    }

    /// <summary>
    /// The observed difference score(a) − score(b) and the lower bound of its paired block-bootstrap interval, widened by
    /// <paramref name="extraSd"/> in quadrature (normal approximation: lower = Δ − z·√(sd²_bootstrap + extra²)).
    /// </summary>
    public static (double Delta, double Lower) Compare(int[] truth, int[] a, int[] b, Func<int[], int[], double> score, int blockLength, RegistryOptions options,
        double extraSd)
    {
        var delta = score(truth, a) - score(truth, b);
        if (options.Confidence <= 0)
            return (delta, delta);
        var boot = Bootstrap.PairedDifference(truth, a, b, score, blockLength, options.Resamples, options.Confidence, options.Seed);
        if (extraSd <= 0)
            return (delta, boot.Lower);
        var z = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.5 + options.Confidence / 2);
        return (delta, Math.Min(boot.Lower, delta - z * Math.Sqrt(boot.StandardError * boot.StandardError + extraSd * extraSd)));
    }

    /// <summary>The bootstrap's block length: <see cref="RegistryOptions.BlockLength"/>, or max(label horizon, ∛n) (neighbouring windows share labels).</summary>
    public static int BlockLength(RegistryOptions options, int horizon, int samples)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.BlockLength > 0 ? options.BlockLength : Bootstrap.DefaultBlockLength(samples, horizon);
    }

    /// <summary>
    /// The window the gate scores on: the candidate's held-out test window, starting after the last candle any
    /// training or validation label of the champion read (a lookback retrain or a CLI range can otherwise score the
    /// champion on its own training data). From &gt; To when nothing is left.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(LoadedModel candidate, LoadedModel? champion = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var t = candidate.Manifest.Training;
        var (from, to) = t.TestFrom is { } f && t.TestTo is { } e ? (f, e) : (t.To - (t.To - t.From) / 6, t.To);
        if (champion is null)
            return (from, to);
        var seenFrom = champion.Manifest.Training.From;
        var seenTo = Seen(champion);
        // Overlap with what the champion saw: keep what lies after it (a champion that trained only on later data overlaps nothing before seenFrom).
        if (seenTo >= from && seenFrom <= to)
            from = seenTo + Intervals.LengthOf(SeriesKey.Parse(candidate.Manifest.Training.Series).Interval);
        return (from, to);
    }

    /// <summary>The last candle a model's training or validation labels read (older artifacts: the candle before its test window).</summary>
    static DateTimeOffset Seen(LoadedModel model)
    {
        var t = model.Manifest.Training;
        if (t.ValidationTo is { } v)
            return v;
        var interval = Intervals.LengthOf(SeriesKey.Parse(t.Series).Interval);
        return t.TestFrom is { } testFrom ? testFrom - interval : t.To;
    }

    /// <summary>
    /// The candles the gate reads: the window, the label horizon after it, and before it both models' feature warm-up and
    /// window plus <see cref="ServingWindow.SmoothingHistory"/> so the smoothed indicators match training's values.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) CandleRange(LoadedModel candidate, LoadedModel? champion)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var (from, to) = Window(candidate, champion);
        if (from > to)
            from = to;
        var interval = Intervals.LengthOf(SeriesKey.Parse(candidate.Manifest.Training.Series).Interval);
        var before = Math.Max(WindowEvaluation.Margins(candidate, candidate.Manifest.Labels).Before,
            champion is null ? 0 : WindowEvaluation.Margins(champion, candidate.Manifest.Labels).Before) + ServingWindow.SmoothingHistory;
        var after = WindowEvaluation.Margins(candidate, candidate.Manifest.Labels).After;
        return (from - interval * (before + 1), to + interval * after);
    }

    /// <summary>A model's calibrated probabilities on the labelled windows ending in [from, to], and the labelled windows before from (the history).</summary>
    static (IReadOnlyList<Sample> Samples, float[] Probabilities, IReadOnlyList<Sample> History) Score(LoadedModel model, IReadOnlyList<Candle> candles,
        LabelSpec labels, DateTimeOffset from, DateTimeOffset to)
    {
        var data = SignalDataset.Build(candles, model.Manifest.WindowSize, labels, model.FeatureSpec, CandleGaps.MaxGapCandlesOf(model.Manifest.Hyperparameters));
        var samples = data.Samples.Where(s => candles[s.End].OpenTime >= from && candles[s.End].OpenTime <= to).ToList();
        // History labels must be known before the window starts: their horizon ends before from.
        var history = data.Samples.Where(s => s.End + labels.Horizon < candles.Count && candles[s.End + labels.Horizon].OpenTime < from).ToList();
        var probabilities = samples.Count == 0
            ? []
            : Predictor.PredictProbabilities(model.Model, data, model.Scaler, samples, 512, CPU, model.Temperature);
        return (samples, probabilities, history);
    }

    static double Accuracy(int[] truth, int[] predicted)
    {
        var hits = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            if (truth[i] == predicted[i])
                hits++;
        }

        return (double)hits / truth.Length;
    }

    static string Describe(LabelSpec l) => $"horizon {l.Horizon}, threshold {l.FixedThreshold}, volatility scale {l.VolatilityScale}";

    static double CostBps(LoadedModel model) =>
        model.Manifest.Hyperparameters.TryGetValue("costBps", out var raw) && double.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : 5;
}
