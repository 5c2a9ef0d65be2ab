using System.Globalization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

/// <summary>The stored form of a candle's values: exact decimals with trailing zeros removed, so 1.50 equals 1.5.</summary>
public static class CandleValues
{
    public static string Encode(Candle candle)
    {
        ArgumentNullException.ThrowIfNull(candle);
        return string.Join('|', N(candle.Open), N(candle.High), N(candle.Low), N(candle.Close), N(candle.Volume));
    }

    public static Candle Decode(SeriesKey series, long openTimeMs, string values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var p = values.Split('|');
        if (p.Length != 5)
            throw new FormatException($"Stored candle values '{values}' of {series} at {openTimeMs} are not o|h|l|c|v.");
        return new Candle(series.Exchange, series.Symbol, series.Interval, DateTimeOffset.FromUnixTimeMilliseconds(openTimeMs),
            D(p[0]), D(p[1]), D(p[2]), D(p[3]), D(p[4]));
    }

    public static long Key(DateTimeOffset openTime) => openTime.ToUnixTimeMilliseconds();

    // Dividing by 1.000…0 with the maximum scale drops trailing zeros without changing the value.
    static string N(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    static decimal D(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
