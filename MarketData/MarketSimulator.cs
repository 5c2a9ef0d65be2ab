using NeuralTrade.Events.Contracts;

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
    /// <summary>Mean number of candles a regime lasts.</summary>
    public double MeanRegimeLength { get; init; } = 240;
}

/// <summary>
/// A seeded market: log returns switch between calm, trending and volatile regimes; high and low come from
/// a path of sub-steps inside each candle, so every candle is consistent (low ≤ open, close ≤ high);
/// volume rises with the size of the move. The same settings always give the same candles.
/// </summary>
public sealed class MarketSimulator(SimulatedMarket market)
{
    readonly record struct Regime(double Drift, double VolatilityScale);

    static readonly Regime[] Regimes =
    [
        new(0, 1.0),        // calm
        new(0.0004, 1.2),   // up-trend
        new(-0.0004, 1.2),  // down-trend
        new(0, 2.5),        // volatile
    ];

    public IEnumerable<Candle> Generate(int count)
    {
        var random = new Random(market.Seed);
        var length = Intervals.LengthOf(market.Interval);
        var price = (double)market.StartPrice;
        var regime = Regimes[0];
        for (var i = 0; i < count; i++)
        {
            if (random.NextDouble() < 1 / market.MeanRegimeLength)
                regime = Regimes[random.Next(Regimes.Length)];

            var open = price;
            double high = open, low = open, close = open;
            const int steps = 6;
            var sigma = market.Volatility * regime.VolatilityScale / Math.Sqrt(steps);
            for (var s = 0; s < steps; s++)
            {
                close *= Math.Exp(regime.Drift / steps + sigma * Normal(random));
                high = Math.Max(high, close);
                low = Math.Min(low, close);
            }

            var move = Math.Abs(Math.Log(close / open)) / market.Volatility;
            var volume = 50 * Math.Exp(0.4 * Normal(random)) * (1 + move);
            yield return new Candle(market.Exchange, market.Symbol, market.Interval, market.Start + length * i,
                Round(open), Round(high), Round(low), Round(close), Math.Round((decimal)volume, 4));
            price = close;
        }
    }

    static decimal Round(double price) => Math.Round((decimal)price, 2);

    // Box-Muller: one standard normal draw.
    static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
