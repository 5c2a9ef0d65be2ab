using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Testing;

/// <summary>How the synthetic market changes at its shift point.</summary>
public enum MarketShift
{
    /// <summary>Stationary throughout.</summary>
    None,
    /// <summary>Mean shift: the log returns gain a drift of 0.3 σ per candle (a steady up-trend).</summary>
    Mean,
    /// <summary>Variance shift: σ doubles.</summary>
    Variance,
    /// <summary>Turbulence: σ triples (volatility × 3), nothing else changes.</summary>
    Turbulence,
    /// <summary>
    /// Regime change: the calm random walk turns into a momentum market: returns follow an AR(1) with φ = 0.5 (moves
    /// continue instead of cancelling), one-candle σ rises by half, and trading volume doubles. No drift.
    /// </summary>
    Regime,
}

/// <summary>
/// A stationary synthetic market (log returns N(0, σ = 0.15 %) drawn in six steps per candle for the high and low,
/// log-normal volume growing with the move) that can change, at a given candle, in one known way: the data of the
/// drift tests. Seeded and deterministic; the candles are one interval of the series apart.
/// </summary>
public static class DriftMarket
{
    public const double Sigma = 0.0015;
    public static readonly SeriesKey Series = new("sim", "DRIFT/USD", "1m");
    public static readonly DateTimeOffset Start = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static List<Candle> Generate(int count, int seed, MarketShift shift = MarketShift.None, int shiftAt = int.MaxValue, SeriesKey? series = null)
    {
        var key = series ?? Series;
        var step = Intervals.LengthOf(key.Interval);
        var random = new Random(seed);
        var candles = new List<Candle>(count);
        var price = 100.0;
        var previous = 0.0;
        const int steps = 6;
        for (var i = 0; i < count; i++)
        {
            var shifted = i >= shiftAt;
            var (drift, sigma, phi, volumeLevel) = (shifted ? shift : MarketShift.None) switch
            {
                MarketShift.Mean => (0.3 * Sigma, Sigma, 0.0, 50.0),
                MarketShift.Variance => (0.0, 2 * Sigma, 0.0, 50.0),
                MarketShift.Turbulence => (0.0, 3 * Sigma, 0.0, 50.0),
                MarketShift.Regime => (0.0, 1.5 * Sigma, 0.5, 100.0),
                _ => (0.0, Sigma, 0.0, 50.0),
            };
            var innovation = sigma * Math.Sqrt(1 - phi * phi) / Math.Sqrt(steps);
            var open = price;
            double high = open, low = open, close = open;
            for (var s = 0; s < steps; s++)
            {
                close *= Math.Exp((drift + phi * previous) / steps + innovation * Normal(random));
                high = Math.Max(high, close);
                low = Math.Min(low, close);
            }

            previous = Math.Log(close / open);
            var volume = volumeLevel * Math.Exp(0.4 * Normal(random)) * (1 + Math.Abs(previous) / Sigma);
            candles.Add(new Candle(key.Exchange, key.Symbol, key.Interval, Start + step * i,
                Round(open), Round(high), Round(low), Round(close), Math.Round((decimal)volume, 4)));
            price = close;
        }

        return candles;
    }

    /// <summary>The drift baseline of candles [0, <paramref name="trainCount"/>): what a model trained on them carries.</summary>
    public static IReadOnlyList<FeatureBaseline> BaselineOf(IReadOnlyList<Candle> candles, int trainCount)
    {
        var features = FeatureCalculator.Compute(candles.Take(trainCount).ToList());
        return ModelArtifact.FeatureBaselines(features, FeatureSpec.OhlcvV1, features.FirstValid, trainCount - 1);
    }

    static decimal Round(double price) => Math.Round((decimal)price, 4);

    static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
