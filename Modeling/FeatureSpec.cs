namespace NeuralTrade.Events.Modeling;

/// <summary>
/// A versioned set of features. The id travels in every artifact; a model only ever sees features computed by
/// the implementation its id names, in training, inference and monitoring alike.
/// </summary>
public sealed record FeatureSpec(string Id, IReadOnlyList<string> Names, int Warmup)
{
    /// <summary>
    /// Stationary OHLCV features, each at candle t from candles ≤ t only:
    /// log return; (high−low)/close; (close−open)/open; change of log(1+volume); Wilder RSI(14)/100 − 0.5;
    /// MACD(12, 26, 9) histogram / close; Wilder ATR(14) / close; Bollinger %B (20, 2σ); 5-candle log return;
    /// standard deviation of the last 20 log returns. Valid from candle 33 on (MACD's signal line).
    /// </summary>
    public static FeatureSpec OhlcvV1 { get; } = new("ohlcv-v1",
        ["log_return", "range_hl", "body_co", "volume_change", "rsi_14", "macd_hist", "atr_14", "bollinger_pb", "log_return_5", "volatility_20"],
        Warmup: 33);

    public static FeatureSpec Resolve(string id) =>
        id == OhlcvV1.Id ? OhlcvV1 : throw new ArgumentException($"Unknown feature spec '{id}'; this build knows {OhlcvV1.Id}.", nameof(id));

    public int Count => Names.Count;
}
