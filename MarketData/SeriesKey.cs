using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>One series of candles: (exchange, symbol, interval).</summary>
public readonly record struct SeriesKey(string Exchange, string Symbol, string Interval)
{
    public static SeriesKey Of(Candle candle)
    {
        ArgumentNullException.ThrowIfNull(candle);
        return new SeriesKey(candle.Exchange, candle.Symbol, candle.Interval);
    }

    /// <summary><c>binance:BTC/USDT:1m</c>; the parts are validated to hold no <c>:</c>.</summary>
    public override string ToString() => $"{Exchange}:{Symbol}:{Interval}";

    public static SeriesKey Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(':');
        if (parts.Length != 3)
            throw new FormatException($"'{value}' is not exchange:symbol:interval.");
        return new SeriesKey(parts[0], parts[1], parts[2]);
    }
}
