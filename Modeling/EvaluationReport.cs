namespace NeuralTrade.Events.Modeling;

/// <summary>Classification quality and a cost-aware backtest of the signals on one set of samples.</summary>
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
    /// <summary>Flat metric names for events, MLflow and the registry gate.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics(string prefix = "")
    {
        var m = new Dictionary<string, double>
        {
            [$"{prefix}accuracy"] = Accuracy,
            [$"{prefix}macro_f1"] = MacroF1,
            [$"{prefix}log_loss"] = LogLoss,
            [$"{prefix}samples"] = Samples,
            [$"{prefix}backtest_total_return"] = Backtest.TotalReturn,
            [$"{prefix}backtest_sharpe"] = Backtest.Sharpe,
            [$"{prefix}backtest_hit_rate"] = Backtest.HitRate,
            [$"{prefix}backtest_max_drawdown"] = Backtest.MaxDrawdown,
            [$"{prefix}backtest_trades"] = Backtest.Trades,
        };
        for (var c = 0; c < SignalClasses.Count; c++)
        {
            m[$"{prefix}precision_{SignalClasses.Names[c]}"] = Precision[c];
            m[$"{prefix}recall_{SignalClasses.Names[c]}"] = Recall[c];
        }

        return m;
    }
}
