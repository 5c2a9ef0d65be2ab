using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>
/// A seeded market: log returns switch between calm, trending and volatile regimes; high and low come from
/// a path of sub-steps inside each candle, so every candle is consistent (low ≤ open, close ≤ high);
/// volume rises with the size of the move. Optionally a learnable pattern is planted (<see cref="SimulatedMarket.SignalProbability"/>)
/// and the market breaks at a given candle (<see cref="SimulatedMarket.ShiftAt"/>). The same settings always give the same candles.
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
        var planted = 0.0;
        var plantedLeft = 0;
        for (var i = 0; i < count; i++)
        {
            if (random.NextDouble() < 1 / market.MeanRegimeLength)
                regime = Regimes[random.Next(Regimes.Length)];

            var shifted = i >= market.ShiftAt;
            var volatility = market.Volatility * (shifted ? market.ShiftVolatility : 1);
            // A planted event: this candle's body and the next SignalHorizon candles' drift share one direction.
            var drift = regime.Drift;
            var spike = false;
            if (market.SignalProbability > 0)
            {
                if (plantedLeft > 0)
                {
                    drift += planted;
                    plantedLeft--;
                }
                else if (random.NextDouble() < market.SignalProbability)
                {
                    // Moves scale with the market: after a break to higher volatility the pattern is as large relative to the noise.
                    var body = (random.Next(2) == 0 ? -1 : 1) * market.SignalDrift * (shifted ? market.ShiftVolatility : 1);
                    planted = shifted && market.ShiftReversesSignal ? -body : body;
                    plantedLeft = market.SignalHorizon;
                    drift += body;
                    spike = true;
                }
            }

            var open = price;
            double high = open, low = open, close = open;
            const int steps = 6;
            var sigma = volatility * regime.VolatilityScale / Math.Sqrt(steps);
            for (var s = 0; s < steps; s++)
            {
                close *= Math.Exp(drift / steps + sigma * Normal(random));
                high = Math.Max(high, close);
                low = Math.Min(low, close);
            }

            var move = Math.Abs(Math.Log(close / open)) / volatility;
            var volume = 50 * Math.Exp(0.4 * Normal(random)) * (1 + move) * (spike ? 6 : 1) * (shifted ? market.ShiftVolume : 1);
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
