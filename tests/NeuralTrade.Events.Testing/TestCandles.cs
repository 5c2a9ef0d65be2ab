using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Testing;

/// <summary>Deterministic candles for tests.</summary>
public static class TestCandles
{
    public static readonly DateTimeOffset Start = new(2024, 1, 15, 10, 0, 0, TimeSpan.Zero);

    public static List<Candle> Series(int count, string exchange = "binance", string symbol = "BTC/USDT", string interval = "1m",
        int seed = 1, DateTimeOffset? start = null) =>
        new MarketSimulator(new SimulatedMarket
        {
            Exchange = exchange, Symbol = symbol, Interval = interval, Seed = seed, Start = start ?? Start,
        }).Generate(count).ToList();

    public static Candle One(DateTimeOffset? openTime = null, decimal close = 42250.75m) =>
        new("binance", "BTC/USDT", "1m", openTime ?? Start, 42150.5m, 42300m, 42100m, close, 1234.56m);

    /// <summary>A <c>market.candles</c> body as a non-.NET feed would write it.</summary>
    public static string Body(IEnumerable<object> candles, string? source = "test-feed") =>
        JsonSerializer.Serialize(new { candles, source }, ContractJson.Options);

    public static string Body(IEnumerable<Candle> candles, string? source = "test-feed") => Body(candles.Cast<object>(), source);
}

/// <summary>A clock that stays where a test puts it.</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
