namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The signals traded one candle at a time: position +1 (buy), −1 (sell) or 0 (hold) from the close of the
/// window's last candle to the next close, paying <c>costBps</c> per unit of position change.
/// </summary>
public sealed record BacktestReport(double TotalReturn, double Sharpe, double HitRate, double MaxDrawdown, int Trades);
