using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary>
/// Scores the candidate and the champion on the candidate's held-out test window (data the candidate never trained
/// on), labelled once by the candidate's label spec, and applies the configured rule: floors, the majority baseline,
/// and a margin over the champion on the chosen metric.
/// </summary>
public static class ChampionGate
{
    public static GateDecision Decide(LoadedModel candidate, LoadedModel? champion, IReadOnlyList<Candle> candles, RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(options);
        var (from, to) = Window(candidate);
        var labels = candidate.Manifest.Labels;
        var cost = CostBps(candidate);
        var candidateReport = WindowEvaluation.Evaluate(candidate, candles, labels, from, to, cost, CPU);
        var candidateMetrics = WithBaseline(candidateReport, candidate, candles, labels, from, to);
        var championMetrics = champion is null
            ? new Dictionary<string, double>()
            : new Dictionary<string, double>(WindowEvaluation.Evaluate(champion, candles, labels, from, to, cost, CPU).ToMetrics());

        var metric = options.Metric;
        if (!candidateMetrics.TryGetValue(metric, out var value))
            return new GateDecision(false, $"the gate metric '{metric}' is not among the evaluation's metrics", candidateMetrics, championMetrics, from, to);
        var lower = RegistryOptions.LowerIsBetter(metric);
        foreach (var (name, floor) in options.Floors)
        {
            if (!candidateMetrics.TryGetValue(name, out var v))
                return new GateDecision(false, $"floor metric '{name}' is not among the evaluation's metrics", candidateMetrics, championMetrics, from, to);
            var fails = RegistryOptions.LowerIsBetter(name) ? v > floor : v < floor;
            if (fails)
                return new GateDecision(false, $"{name} {v:0.####} does not reach the floor {floor:0.####}", candidateMetrics, championMetrics, from, to);
        }

        if (options.RequireBeatBaseline && candidateMetrics["macro_f1"] <= candidateMetrics["baseline_macro_f1"])
            return new GateDecision(false,
                $"macro_f1 {candidateMetrics["macro_f1"]:0.####} does not beat the majority-class baseline {candidateMetrics["baseline_macro_f1"]:0.####}",
                candidateMetrics, championMetrics, from, to);

        if (champion is null)
            return new GateDecision(true, $"first model: {metric} {value:0.####} passes the floors", candidateMetrics, championMetrics, from, to);

        var championValue = championMetrics[metric];
        var better = lower ? value <= championValue - options.Margin : value >= championValue + options.Margin;
        return better
            ? new GateDecision(true, $"{metric} {value:0.####} beats the champion's {championValue:0.####} by at least {options.Margin}", candidateMetrics,
                championMetrics, from, to)
            : new GateDecision(false, $"{metric} {value:0.####} does not beat the champion's {championValue:0.####} by {options.Margin}", candidateMetrics,
                championMetrics, from, to);
    }

    /// <summary>The candidate's held-out test window; older artifacts without one use the last sixth of their data range.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) Window(LoadedModel candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var t = candidate.Manifest.Training;
        if (t.TestFrom is { } from && t.TestTo is { } to)
            return (from, to);
        var span = t.To - t.From;
        return (t.To - span / 6, t.To);
    }

    /// <summary>The candles the window needs, wide enough for both models' warm-up and window and the label horizon.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) CandleRange(LoadedModel candidate, LoadedModel? champion)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var (from, to) = Window(candidate);
        var interval = Intervals.LengthOf(SeriesKey.Parse(candidate.Manifest.Training.Series).Interval);
        var before = Math.Max(WindowEvaluation.Margins(candidate, candidate.Manifest.Labels).Before,
            champion is null ? 0 : WindowEvaluation.Margins(champion, candidate.Manifest.Labels).Before);
        var after = WindowEvaluation.Margins(candidate, candidate.Manifest.Labels).After;
        return (from - interval * (before + 1), to + interval * after);
    }

    static double CostBps(LoadedModel model) =>
        model.Manifest.Hyperparameters.TryGetValue("costBps", out var raw) && double.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : 5;

    static Dictionary<string, double> WithBaseline(EvaluationReport report, LoadedModel model, IReadOnlyList<Candle> candles, LabelSpec labels,
        DateTimeOffset from, DateTimeOffset to)
    {
        var metrics = new Dictionary<string, double>(report.ToMetrics());
        var data = SignalDataset.Build(candles, model.Manifest.WindowSize, labels, model.FeatureSpec);
        var truth = data.Samples.Where(s => candles[s.End].OpenTime >= from && candles[s.End].OpenTime <= to).Select(s => s.Label).ToList();
        metrics["baseline_macro_f1"] = Evaluation.MajorityBaselineMacroF1(truth, truth);
        return metrics;
    }
}
