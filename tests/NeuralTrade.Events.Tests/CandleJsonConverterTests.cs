using System.Globalization;
using System.Text.Json;
using MassTransit.Serialization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The hand-written candle converter must read and write exactly what System.Text.Json's general path does with the
/// contract's options: the same bytes out, the same candle in, and an error wherever that path gives one.
/// </summary>
public sealed class CandleJsonConverterTests
{
    static readonly JsonSerializerOptions Wire = BusRegistration.ConfigureWireJson(new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options));

    /// <summary>The same options with System.Text.Json's own handling of <see cref="Candle"/>.</summary>
    static readonly JsonSerializerOptions General = WithoutCandleConverter(Wire);

    static JsonSerializerOptions WithoutCandleConverter(JsonSerializerOptions options)
    {
        var copy = new JsonSerializerOptions(options);
        copy.Converters.Remove(copy.Converters.Single(c => c is CandleJsonConverter));
        return copy;
    }

    [Test]
    public void Writes_the_same_bytes_as_the_general_path()
    {
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = "binance", Symbol = "BTC/USDT", Seed = 11 }).Generate(500).ToList();
        candles.Add(new Candle("binance", "ETH/USDT", "1h", new DateTimeOffset(2024, 1, 15, 10, 0, 0, 123, TimeSpan.Zero), 0.000001m, 1e20m, 1m, 2.5m, 0m));
        candles.Add(new Candle(null!, null!, null!, default, 0, 0, 0, 0, 0));
        var message = new MarketCandles { Candles = candles, Source = "test" };

        Assert.That(JsonSerializer.Serialize(message, Wire), Is.EqualTo(JsonSerializer.Serialize(message, General)));
    }

    static IEnumerable<TestCaseData> Bodies()
    {
        TestCaseData Case(string name, string json) => new TestCaseData(json).SetArgDisplayNames(name);
        yield return Case("contract", """{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":42150.5,"high":42300,"low":42100,"close":42250.75,"volume":1234.56}""");
        yield return Case("other casing, other order", """{"VOLUME":1,"Close":2,"LOW":1,"high":3,"Open":2,"OpenTime":"2024-01-15T12:30:00+02:00","Interval":"1m","SYMBOL":"BTC/USDT","Exchange":"binance"}""");
        yield return Case("unknown members", """{"exchange":"binance","x":{"a":[1,2,{"b":null}]},"symbol":"BTC/USDT","y":"z","interval":"1m","openTime":"2024-01-15T10:30:00.5Z","open":1,"high":1,"low":1,"close":1,"volume":1,"trades":17}""");
        yield return Case("members missing", """{"exchange":"binance","open":1}""");
        yield return Case("empty object", "{}");
        yield return Case("null strings", """{"exchange":null,"symbol":null,"interval":null,"openTime":"2024-01-15T10:30:00Z","open":1,"high":1,"low":1,"close":1,"volume":1}""");
        yield return Case("exponents", """{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":4.215e4,"high":1E-8,"low":1e2,"close":0.0,"volume":-0}""");
        yield return Case("repeated member", """{"open":1,"open":2}""");
        yield return Case("null price", """{"open":null}""");
        yield return Case("price as string", """{"open":"1.5"}""");
        yield return Case("price too large", """{"open":1e40}""");
        yield return Case("boolean symbol", """{"symbol":true}""");
        yield return Case("number exchange", """{"exchange":5}""");
        yield return Case("timestamp number", """{"openTime":1705314600}""");
        yield return Case("timestamp not a date", """{"openTime":"yesterday"}""");
        yield return Case("timestamp null", """{"openTime":null}""");
        yield return Case("array", "[1,2]");
        yield return Case("string", "\"candle\"");
    }

    [TestCaseSource(nameof(Bodies))]
    public void Reads_what_the_general_path_reads_and_refuses_what_it_refuses(string candle)
    {
        var body = $$"""{"requestId":"a8098c1a-f86e-11da-bd1a-00112444be1e","exchange":"binance","symbol":"BTC/USDT","interval":"1m","candles":[{{candle}}]}""";
        var expected = Read(body, General);
        var actual = Read(body, Wire);

        Assert.That(actual.Error is null, Is.EqualTo(expected.Error is null), $"general path: {expected.Error ?? "read"}; converter: {actual.Error ?? "read"}");
        if (expected.Error is null)
            Assert.That(actual.Candle, Is.EqualTo(expected.Candle));
        else
            Assert.That(actual.Error, Does.Contain("$.candles[0]"), "the error says where");
    }

    static (Candle? Candle, string? Error) Read(string body, JsonSerializerOptions options)
    {
        try
        {
            // Through a JsonElement too, as MassTransit's raw JSON deserializer reads a body.
            var element = JsonSerializer.Deserialize<JsonElement>(body, options);
            var direct = JsonSerializer.Deserialize<PredictionRequested>(body, options)!.Candles![0];
            Assert.That(element.Deserialize<PredictionRequested>(options)!.Candles![0], Is.EqualTo(direct));
            return (direct, null);
        }
        catch (JsonException e)
        {
            return (null, e.Message + " " + e.Path);
        }
    }

    [Test]
    public void Timestamps_are_written_as_the_custom_format_wrote_them()
    {
        var random = new Random(5);
        var writer = new JsonSerializerOptions();
        writer.Converters.Add(new ContractJson.UtcTimestampConverter());
        for (var i = 0; i < 20_000; i++)
        {
            var ticks = random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
            // Whole seconds, whole milliseconds and arbitrary ticks, with an offset.
            ticks = (i % 3) switch { 0 => ticks - ticks % TimeSpan.TicksPerSecond, 1 => ticks - ticks % TimeSpan.TicksPerMillisecond, _ => ticks };
            var utc = new DateTime(ticks, DateTimeKind.Utc);
            var value = ticks > TimeSpan.TicksPerDay && ticks < DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay
                ? new DateTimeOffset(utc).ToOffset(TimeSpan.FromHours(i % 2 == 0 ? 2 : -5))
                : new DateTimeOffset(utc);
            var format = ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

            Assert.That(JsonSerializer.Serialize(value, writer), Is.EqualTo($"\"{utc.ToString(format, CultureInfo.InvariantCulture)}\""));
        }
    }
}
