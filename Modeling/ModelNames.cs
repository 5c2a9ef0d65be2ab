using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Modeling;

/// <summary>Model names: one registered model (and MLflow experiment) per series.</summary>
public static class ModelNames
{
    /// <summary><c>binance:BTC/USDT:1m</c> → <c>signal-binance-btc-usdt-1m</c>.</summary>
    public static string For(SeriesKey series) =>
        "signal-" + string.Concat($"{series.Exchange}-{series.Symbol}-{series.Interval}".ToLowerInvariant()
            .Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
}
