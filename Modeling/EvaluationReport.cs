namespace NeuralTrade.Events.Modeling;

/// <summary>Classification quality, a cost-aware backtest of the signals and the baselines, on one set of samples.</summary>
public sealed record EvaluationReport(
    double Accuracy,
    double MacroF1,
    double[] Precision,
    double[] Recall,
    double[] F1,
    int[][] ConfusionMatrix,
    double LogLoss,
    BacktestReport Backtest,
    int Samples)
{
    /// <summary>The samples' labels, in order: with <see cref="Predicted"/>, what a paired bootstrap of two models needs.</summary>
    public int[] Labels { get; init; } = [];

    /// <summary>The predicted class (argmax) of each sample, in order.</summary>
    public int[] Predicted { get; init; } = [];

    /// <summary>The <see cref="Modeling.Baselines"/> scored and backtested on the same samples.</summary>
    public IReadOnlyList<BaselineResult> Baselines { get; init; } = [];

    /// <summary>
    /// Flat metric names for events, MLflow and the registry gate. The backtest's intervals are
    /// <c>backtest_sharpe_lower/upper</c> and <c>backtest_total_return_lower/upper</c>; each baseline adds
    /// <c>baseline_&lt;name&gt;_macro_f1</c> and <c>baseline_&lt;name&gt;_sharpe</c>.
    /// </summary>
    public IReadOnlyDictionary<string, double> ToMetrics(string prefix = "")
    {
        var m = new Dictionary<string, double>
        {
            [$"{prefix}accuracy"] = Accuracy,
            [$"{prefix}macro_f1"] = MacroF1,
            [$"{prefix}log_loss"] = LogLoss,
            [$"{prefix}samples"] = Samples,
            [$"{prefix}backtest_total_return"] = Backtest.TotalReturn,
            [$"{prefix}backtest_total_return_lower"] = Backtest.TotalReturnInterval.Lower,
            [$"{prefix}backtest_total_return_upper"] = Backtest.TotalReturnInterval.Upper,
            [$"{prefix}backtest_annual_return"] = Backtest.AnnualisedReturn,
            [$"{prefix}backtest_sharpe"] = Backtest.Sharpe,
            [$"{prefix}backtest_sharpe_lower"] = Backtest.SharpeInterval.Lower,
            [$"{prefix}backtest_sharpe_upper"] = Backtest.SharpeInterval.Upper,
            [$"{prefix}backtest_hit_rate"] = Backtest.HitRate,
            [$"{prefix}backtest_max_drawdown"] = Backtest.MaxDrawdown,
            [$"{prefix}backtest_trades"] = Backtest.Trades,
            [$"{prefix}backtest_exposure"] = Backtest.Exposure,
        };
        for (var c = 0; c < SignalClasses.Count; c++)
        {
            m[$"{prefix}precision_{SignalClasses.Names[c]}"] = Precision[c];
            m[$"{prefix}recall_{SignalClasses.Names[c]}"] = Recall[c];
            m[$"{prefix}f1_{SignalClasses.Names[c]}"] = F1[c];
        }

        foreach (var b in Baselines)
        {
            m[$"{prefix}baseline_{b.Name}_macro_f1"] = b.MacroF1;
            m[$"{prefix}baseline_{b.Name}_sharpe"] = b.Backtest.Sharpe;
        }

        return m;
    }
}
