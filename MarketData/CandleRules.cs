namespace NeuralTrade.Events.MarketData;

/// <summary>Limits a candle must respect; the defaults are the documented ones.</summary>
public sealed class CandleRules
{
    public const string SectionName = "Candles";

    /// <summary>How far ahead of this machine's clock a candle's close may be (feeds' clocks differ).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Refuse candles that have not closed yet (openTime + interval later than now + skew).</summary>
    public bool RequireClosed { get; set; } = true;

    public decimal MaxPrice { get; set; } = 1_000_000_000_000m;

    public decimal MaxVolume { get; set; } = 1_000_000_000_000_000_000m;
}
