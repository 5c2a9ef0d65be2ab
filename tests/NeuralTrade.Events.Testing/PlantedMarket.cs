using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// A market with a planted, learnable pattern: at random candles a volume spike with a clear body appears, and
/// the next <c>horizon</c> candles drift in the body's direction. Between events prices are a noisy random walk.
/// A model can only predict the drift from the spike it has already seen: nothing else carries information.
/// </summary>
public static class PlantedMarket
{
    public static List<Candle> Generate(int count, int seed, int horizon = 5, double eventProbability = 0.08)
    {
        var random = new Random(seed);
        var candles = new List<Candle>(count);
        var price = 100.0;
        var drift = 0.0;
        var driftLeft = 0;
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            var open = price;
            double volume = 100 * (0.8 + 0.4 * random.NextDouble());
            double ret = 0.001 * Normal(random);
            if (driftLeft > 0)
            {
                ret += drift;
                driftLeft--;
            }
            else if (random.NextDouble() < eventProbability)
            {
                var direction = random.Next(2) == 0 ? -1 : 1;
                ret = direction * 0.003;              // a clear body in the coming direction
                volume *= 6;                          // on a volume spike
                drift = direction * 0.0025;
                driftLeft = horizon;
            }

            var close = open * Math.Exp(ret);
            var high = Math.Max(open, close) * (1 + Math.Abs(0.0004 * Normal(random)));
            var low = Math.Min(open, close) * (1 - Math.Abs(0.0004 * Normal(random)));
            candles.Add(new Candle("sim", "PLANT/USD", "1m", start.AddMinutes(i),
                R(open), R(Math.Max(high, Math.Max(open, close))), R(Math.Min(low, Math.Min(open, close))), R(close), Math.Round((decimal)volume, 3)));
            price = close;
        }

        return candles;
    }

    static decimal R(double v) => Math.Round((decimal)v, 6);

    static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
