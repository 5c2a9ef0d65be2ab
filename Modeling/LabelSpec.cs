namespace NeuralTrade.Events.Modeling;

/// <summary>
/// How a window is labelled: the forward return from the close of its last candle t to the close of candle
/// t + <see cref="Horizon"/> against a threshold. Only candles after t are looked at.
/// With <see cref="VolatilityScale"/> &gt; 0 the threshold is k · σ₂₀(t) · √horizon, where σ₂₀(t) is the standard
/// deviation of the 20 log returns up to t (known at t); otherwise it is <see cref="FixedThreshold"/>.
/// </summary>
public sealed record LabelSpec(int Horizon = 5, double FixedThreshold = 0.002, double VolatilityScale = 0.5)
{
    public int Label(IReadOnlyList<double> close, IReadOnlyList<double> volatility, int t, out double forwardReturn)
    {
        ArgumentNullException.ThrowIfNull(close);
        ArgumentNullException.ThrowIfNull(volatility);
        if (t + Horizon >= close.Count)
            throw new ArgumentOutOfRangeException(nameof(t), $"candle {t} has no candle {Horizon} ahead; it cannot be labelled");
        forwardReturn = close[t + Horizon] / close[t] - 1;
        var threshold = Threshold(volatility[t]);
        return forwardReturn > threshold ? SignalClasses.Buy : forwardReturn < -threshold ? SignalClasses.Sell : SignalClasses.Hold;
    }

    public double Threshold(double volatility) =>
        VolatilityScale > 0 && double.IsFinite(volatility) && volatility > 0
            ? VolatilityScale * volatility * Math.Sqrt(Horizon)
            : FixedThreshold;
}
