using System.Globalization;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Reporting;

/// <summary>
/// Records a walk-forward evaluation as MLflow (or local) runs: a parent run with the pooled figures, the verdict, the
/// table, the JSON summary and the plots (per-fold metrics with intervals, equity curves, learning curves), and one child
/// run per fold (tag <c>mlflow.parentRunId</c>, MLflow's own nesting convention, so the UI shows the folds under it and
/// its compare view lines them up). The CLI's <c>evaluate</c> opens the parent itself; a training run with
/// <c>walkForwardFolds</c> is the parent of its folds.
/// </summary>
public static class WalkForwardRecorder
{
    /// <summary>Metric prefix of the pooled figures on the parent run.</summary>
    public const string Prefix = "walk_forward_";

    public const string VerdictTag = "neuraltrade.walk_forward.verdict", SignificantTag = "neuraltrade.walk_forward.significant",
        TradingSignificantTag = "neuraltrade.walk_forward.trading_significant";

    /// <summary>Logs <paramref name="report"/> on <paramref name="parent"/> and opens, fills and ends one child run per fold.</summary>
    public static async Task RecordAsync(RunTracker tracker, string experiment, TrackedRun parent, WalkForwardReport report,
        IReadOnlyDictionary<string, string> childTags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(childTags);
        var c = CultureInfo.InvariantCulture;
        foreach (var fold in report.Folds)
        {
            var tags = new Dictionary<string, string>(childTags)
            {
                ["mlflow.parentRunId"] = parent.RunId,
                ["neuraltrade.walk_forward.fold"] = (fold.Layout.Fold + 1).ToString(c),
            };
            var child = await tracker.StartRunAsync(experiment, $"fold-{fold.Layout.Fold + 1}", tags, cancellationToken);
            await child.LogParamsAsync(new Dictionary<string, string>
            {
                ["train_samples"] = fold.Layout.Train.Count.ToString(c),
                ["validation_samples"] = fold.Layout.Validation.Count.ToString(c),
                ["test_samples"] = fold.Layout.Test.Count.ToString(c),
                ["test_from"] = fold.TestFrom.ToString("O", c),
                ["test_to"] = fold.TestTo.ToString("O", c),
                ["best_epoch"] = fold.BestEpoch.ToString(c),
            }, cancellationToken);
            var metrics = fold.Test.ToMetrics().Select(m => new RunMetric(m.Key, m.Value, 0)).ToList();
            metrics.Add(new RunMetric("macro_f1_lower", fold.MacroF1Interval.Lower, 0));
            metrics.Add(new RunMetric("macro_f1_upper", fold.MacroF1Interval.Upper, 0));
            metrics.Add(new RunMetric("calibration_temperature", fold.Temperature, 0));
            foreach (var epoch in fold.History)
            {
                metrics.Add(new RunMetric("train_loss", epoch.TrainLoss, epoch.Epoch));
                metrics.Add(new RunMetric("validation_loss", epoch.ValidationLoss, epoch.Epoch));
            }

            await child.LogMetricsAsync(metrics, cancellationToken);
            await child.EndAsync(true, cancellationToken);
        }

        await parent.LogMetricsAsync(Metrics(report).Select(m => new RunMetric(m.Key, m.Value, 0)).ToList(), cancellationToken);
        await parent.SetTagsAsync(new Dictionary<string, string>
        {
            [VerdictTag] = report.Aggregate.Verdict,
            [SignificantTag] = report.Aggregate.SignificantEdge ? "true" : "false",
            [TradingSignificantTag] = report.Aggregate.TradingEdge ? "true" : "false",
        }, cancellationToken);
        foreach (var (name, bytes) in Artifacts(report))
            await parent.LogArtifactAsync($"walk_forward/{name}", bytes, cancellationToken);
    }

    /// <summary>The pooled figures, prefixed <see cref="Prefix"/>: few and named as the per-run metrics are.</summary>
    public static IReadOnlyDictionary<string, double> Metrics(WalkForwardReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var a = report.Aggregate;
        var metrics = new Dictionary<string, double>
        {
            [Prefix + "folds"] = report.Folds.Count,
            [Prefix + "samples"] = a.Samples,
            [Prefix + "accuracy"] = a.Accuracy,
            [Prefix + "macro_f1"] = a.MacroF1.Estimate,
            [Prefix + "macro_f1_lower"] = a.MacroF1.Lower,
            [Prefix + "macro_f1_upper"] = a.MacroF1.Upper,
            [Prefix + "sharpe"] = a.Backtest.Sharpe,
            [Prefix + "sharpe_lower"] = a.Backtest.SharpeInterval.Lower,
            [Prefix + "sharpe_upper"] = a.Backtest.SharpeInterval.Upper,
            [Prefix + "total_return"] = a.Backtest.TotalReturn,
            [Prefix + "max_drawdown"] = a.Backtest.MaxDrawdown,
            [Prefix + "significant"] = a.SignificantEdge ? 1 : 0,
            [Prefix + "trading_significant"] = a.TradingEdge ? 1 : 0,
        };
        foreach (var b in a.Baselines)
        {
            metrics[$"{Prefix}delta_{b.Name}_macro_f1"] = b.MacroF1Difference.Estimate;
            metrics[$"{Prefix}delta_{b.Name}_macro_f1_lower"] = b.MacroF1Difference.Lower;
            metrics[$"{Prefix}delta_{b.Name}_sharpe"] = b.SharpeDifference.Estimate;
            metrics[$"{Prefix}delta_{b.Name}_sharpe_lower"] = b.SharpeDifference.Lower;
        }

        return metrics;
    }

    /// <summary>What a walk-forward leaves behind as files: the table, the JSON summary and the PNG plots.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Artifacts(WalkForwardReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return ("table.txt", Encoding.UTF8.GetBytes(report.ToTable()));
        yield return ("summary.json", JsonSerializer.SerializeToUtf8Bytes(Summary(report), SummaryJson));
        yield return ("fold_metrics.png", Plots.FoldMetrics(report));
        yield return ("equity_curves.png", Plots.EquityCurves(report));
        yield return ("learning_curves.png", Plots.LearningCurves(report));
    }

    // NaN where a fold had nothing to measure (no trade, one class): written as "NaN" rather than failing the report.
    public static readonly JsonSerializerOptions SummaryJson = new(ContractJson.Options)
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The report without its per-sample arrays: per fold, where it lay and its test metrics; pooled, the intervals, the
    /// comparison with each baseline and the verdict. What <c>evaluate --json</c> prints and <c>summary.json</c> holds.
    /// </summary>
    public static WalkForwardSummary Summary(WalkForwardReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var a = report.Aggregate;
        return new WalkForwardSummary(
            report.Folds.Select(f => new WalkForwardFoldSummary(f.Layout.Fold + 1, f.Layout.Train.Count, f.Layout.Validation.Count, f.Layout.Test.Count,
                f.TestFrom, f.TestTo, f.MacroF1Interval, f.Test.ToMetrics())).ToList(),
            report.Purge, report.Embargo, a.BlockLength, a.Samples, a.MacroF1, a.Backtest.SharpeInterval, a.Backtest.TotalReturnInterval,
            a.Baselines.Select(b => new WalkForwardBaselineSummary(b.Name, b.MacroF1, b.Backtest.Sharpe, b.MacroF1Difference, b.Significant,
                b.SharpeDifference, b.TradingSignificant)).ToList(),
            a.SignificantEdge, a.TradingEdge, a.Verdict);
    }
}

public sealed record WalkForwardSummary(IReadOnlyList<WalkForwardFoldSummary> Folds, int Purge, int Embargo, int BlockLength, int Samples,
    ConfidenceInterval MacroF1, ConfidenceInterval Sharpe, ConfidenceInterval TotalReturn, IReadOnlyList<WalkForwardBaselineSummary> Baselines,
    bool SignificantEdge, bool TradingEdge, string Verdict);

public sealed record WalkForwardFoldSummary(int Fold, int TrainSamples, int ValidationSamples, int TestSamples, DateTimeOffset TestFrom,
    DateTimeOffset TestTo, ConfidenceInterval MacroF1, IReadOnlyDictionary<string, double> Test);

public sealed record WalkForwardBaselineSummary(string Name, double MacroF1, double Sharpe, ConfidenceInterval ModelMinusBaseline, bool Significant,
    ConfidenceInterval SharpeModelMinusBaseline, bool TradingSignificant);
