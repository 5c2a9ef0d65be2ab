namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The signals traded by the rule of <see cref="Evaluation.Backtest"/>: next-open entry, held for the label horizon,
/// non-overlapping trades, costs and slippage per side. Returns are net of both; Sharpe and the annualised return use
/// <see cref="PeriodsPerYear"/> bars a year, measured from the candles' own timestamps; the risk-free rate is taken as 0.
/// </summary>
/// <param name="TotalReturn">Final equity over initial equity, minus 1.</param>
/// <param name="Sharpe">Mean over sample standard deviation of the per-bar net returns, times √<see cref="PeriodsPerYear"/>; 0 when they do not vary.</param>
/// <param name="HitRate">Share of trades whose net return (costs included) is positive; 0 without trades.</param>
/// <param name="MaxDrawdown">Largest fall of the equity curve from a running peak, as a fraction of the peak.</param>
/// <param name="Trades">Positions opened (a signal that was acted on).</param>
/// <param name="AnnualisedReturn">Geometric: (1 + TotalReturn)^(PeriodsPerYear / Bars) − 1, capped at <see cref="double.MaxValue"/>.</param>
/// <param name="Exposure">Share of bars spent holding a position.</param>
/// <param name="PeriodsPerYear">Bars per year of the data: candles observed over the years between the first and last (365-day years).</param>
/// <param name="Bars">Bars marked: the bar after each signal and every bar of each trade (open to next open).</param>
/// <param name="TotalReturnInterval">Block-bootstrap interval of <see cref="TotalReturn"/> over the per-bar net returns.</param>
/// <param name="SharpeInterval">Block-bootstrap interval of <see cref="Sharpe"/> over the per-bar net returns.</param>
/// <param name="BlockLength">Block length of both intervals.</param>
/// <param name="Returns">Net return of each bar, in time order.</param>
/// <param name="Equity">Equity after each bar, starting from 1 before the first.</param>
/// <param name="BarEnds">When each bar ends: the open time of the candle after it.</param>
public sealed record BacktestReport(
    double TotalReturn,
    double Sharpe,
    double HitRate,
    double MaxDrawdown,
    int Trades,
    double AnnualisedReturn,
    double Exposure,
    double PeriodsPerYear,
    int Bars,
    ConfidenceInterval TotalReturnInterval,
    ConfidenceInterval SharpeInterval,
    int BlockLength,
    double[] Returns,
    double[] Equity,
    DateTimeOffset[] BarEnds);

/// <summary>How <see cref="Evaluation.Backtest"/> trades and how its intervals are drawn.</summary>
public sealed record BacktestOptions
{
    /// <summary>Candles a position is held: the label horizon, so a trade realises what the label judged.</summary>
    public int Horizon { get; init; } = 5;

    /// <summary>Commission and fees per side, in basis points of the traded notional.</summary>
    public double CostBps { get; init; } = 5;

    /// <summary>
    /// Slippage per side against the open price, in basis points; charged like <see cref="CostBps"/>. The default, 1 bp,
    /// is a half-spread of a liquid market; set it to what the instrument trades at.
    /// </summary>
    public double SlippageBps { get; init; } = 1;

    /// <summary>Bootstrap block length; null: <see cref="Bootstrap.DefaultBlockLength"/> of the bars and the horizon.</summary>
    public int? BlockLength { get; init; }

    public int Resamples { get; init; } = 1000;
    public double Confidence { get; init; } = 0.95;
    public int Seed { get; init; } = 42;

    /// <summary>The horizon, cost and seed of a training recipe.</summary>
    public static BacktestOptions From(Hyperparameters hp)
    {
        ArgumentNullException.ThrowIfNull(hp);
        return new BacktestOptions { Horizon = hp.Horizon, CostBps = hp.CostBps, Seed = hp.Seed };
    }
}
