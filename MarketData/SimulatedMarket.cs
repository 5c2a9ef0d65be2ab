namespace NeuralTrade.Events.MarketData;

/// <summary>Settings of the simulated market.</summary>
public sealed record SimulatedMarket
{
    public string Exchange { get; init; } = "sim";
    public string Symbol { get; init; } = "BTC/USDT";
    public string Interval { get; init; } = "1m";
    public DateTimeOffset Start { get; init; } = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public decimal StartPrice { get; init; } = 42_000m;
    public int Seed { get; init; } = 7;
    /// <summary>Per-candle volatility of log returns in the calm regime.</summary>
    public double Volatility { get; init; } = 0.0015;
    /// <summary>Mean number of candles a regime lasts; <see cref="double.PositiveInfinity"/> keeps the calm regime throughout.</summary>
    public double MeanRegimeLength { get; init; } = 240;

    /// <summary>
    /// Chance per candle of a planted, learnable event: a volume spike with a clear body, after which the next
    /// <see cref="SignalHorizon"/> candles drift in the body's direction (by <see cref="SignalDrift"/> each). 0 (the default) plants none.
    /// </summary>
    public double SignalProbability { get; init; }

    public int SignalHorizon { get; init; } = 5;

    /// <summary>Log-return drift per candle after a planted event, and the size of the event's own body.</summary>
    public double SignalDrift { get; init; } = 0.0025;

    /// <summary>From this candle on (0-based) the market changes for good: a structural break such as a new volatility regime.</summary>
    public int? ShiftAt { get; init; }

    /// <summary>Factor on volatility from <see cref="ShiftAt"/> on (planted moves grow with it).</summary>
    public double ShiftVolatility { get; init; } = 1;

    /// <summary>Factor on traded volume from <see cref="ShiftAt"/> on.</summary>
    public double ShiftVolume { get; init; } = 1;

    /// <summary>From <see cref="ShiftAt"/> on, a planted event is followed by a move against its body (momentum turns into reversal).</summary>
    public bool ShiftReversesSignal { get; init; }

    /// <summary>
    /// The built-in demo market: a learnable pattern (momentum after volume spikes) in a calm market, then a break at
    /// <paramref name="shiftAt"/> to twice the volatility, 1.6× the volume and a pattern that reverses: a model of the old
    /// market is wrong in the new one, and a model of the new one can be learned.
    /// </summary>
    public static SimulatedMarket Demo(int shiftAt) => new()
    {
        Volatility = 0.001, MeanRegimeLength = double.PositiveInfinity, SignalProbability = 0.12,
        SignalDrift = 0.004, ShiftAt = shiftAt, ShiftVolatility = 2, ShiftVolume = 1.6, ShiftReversesSignal = true,
    };
}
