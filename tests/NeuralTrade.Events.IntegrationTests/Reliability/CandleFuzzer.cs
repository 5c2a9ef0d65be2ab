using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>What a fuzzed market.candles body is, and so what the fleet must do with it.</summary>
public enum FuzzKind
{
    /// <summary>Well-formed; every candle valid and new: all accepted.</summary>
    Valid,
    /// <summary>Well-formed; some candles broken in one field: those rejected with a reason, the rest accepted.</summary>
    Mixed,
    /// <summary>JSON, but not the contract's shape (no array, empty, not an object, too many candles): dead-lettered.</summary>
    WrongShape,
    /// <summary>A valid body cut short: dead-lettered.</summary>
    Truncated,
    /// <summary>Not JSON at all: dead-lettered.</summary>
    NotJson,
    /// <summary>Above the byte limit: dead-lettered.</summary>
    Huge,
}

public sealed record FuzzBody(int Number, FuzzKind Kind, byte[] Body, int ValidCandles, int BrokenCandles, string Description)
{
    public bool WellFormed => Kind is FuzzKind.Valid or FuzzKind.Mixed;
}

/// <summary>
/// Seeded generator of market.candles bodies: valid ones (every candle new: a time counter per series), candles broken
/// in every field in every way a feed gets wrong (missing, null, wrong type, empty, negative, not finite, unknown,
/// misaligned, in the future, inconsistent OHLC, not an object), wrong shapes, truncations, garbage and oversized bodies.
/// It knows what each body must become, so the suite can count.
/// </summary>
public sealed class CandleFuzzer(int seed, string exchange, int seriesCount = 4)
{
    static readonly DateTimeOffset Start = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);
    readonly Random _random = new(seed);
    readonly int[] _next = new int[seriesCount];

    public string SymbolOf(int series) => $"FZ{series}/USD";

    public IReadOnlyList<string> Symbols => Enumerable.Range(0, seriesCount).Select(SymbolOf).ToList();

    static readonly (string Field, string What, Func<JsonObject, JsonObject> Break)[] Breakages =
    [
        ("exchange", "missing", c => Without(c, "exchange")),
        ("exchange", "empty", c => With(c, "exchange", "")),
        ("exchange", "a number", c => With(c, "exchange", 5)),
        ("symbol", "null", c => With(c, "symbol", null)),
        ("symbol", "an array", c => With(c, "symbol", new JsonArray())),
        ("interval", "unknown", c => With(c, "interval", "7x")),
        ("interval", "missing", c => Without(c, "interval")),
        ("openTime", "not a date", c => With(c, "openTime", "yesterday")),
        ("openTime", "misaligned", c => With(c, "openTime", ((string)c["openTime"]!).Replace(":00Z", ":30Z", StringComparison.Ordinal))),
        ("openTime", "in the future", c => With(c, "openTime", "2999-01-01T00:00:00Z")),
        ("openTime", "a number", c => With(c, "openTime", 1700000000)),
        ("open", "negative", c => With(c, "open", -1m)),
        ("open", "a word", c => With(c, "open", "abc")),
        ("high", "missing", c => Without(c, "high")),
        ("low", "null", c => With(c, "low", null)),
        ("close", "an object", c => With(c, "close", new JsonObject())),
        ("close", "beyond double", c => With(c, "close", JsonNode.Parse("1e400"))),
        ("volume", "negative", c => With(c, "volume", -5m)),
        ("volume", "a boolean", c => With(c, "volume", true)),
        ("high", "below low", c => With(With(c, "high", 1m), "low", 2m)),
        ("candle", "not an object", _ => null!),
    ];

    static JsonObject Without(JsonObject c, string field)
    {
        c.Remove(field);
        return c;
    }

    static JsonObject With(JsonObject c, string field, JsonNode? value)
    {
        c[field] = value;
        return c;
    }

    JsonObject ValidCandle()
    {
        var series = _random.Next(_next.Length);
        var openTime = Start.AddMinutes(_next[series]++);
        var open = 100m + _random.Next(0, 10_000) / 100m;
        var close = open + _random.Next(-200, 201) / 100m;
        var high = Math.Max(open, close) + _random.Next(0, 100) / 100m;
        var low = Math.Max(0.01m, Math.Min(open, close) - _random.Next(0, 100) / 100m);
        return new JsonObject
        {
            ["exchange"] = exchange, ["symbol"] = SymbolOf(series), ["interval"] = "1m",
            ["openTime"] = openTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["open"] = open, ["high"] = high, ["low"] = low, ["close"] = close, ["volume"] = _random.Next(1, 100_000) / 10m,
        };
    }

    static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    static JsonObject Body(JsonArray candles) => new() { ["candles"] = candles, ["source"] = "fuzz" };

    public FuzzBody Next(int number)
    {
        // A few oversized bodies, spread through the run.
        if (number % 2_500 == 1_250)
            return new FuzzBody(number, FuzzKind.Huge, Encoding.UTF8.GetBytes($"{{\"candles\":[],\"source\":\"{new string('x', 9 * 1024 * 1024)}\"}}"), 0, 0, "9 MiB body");
        if (number % 2_500 == 2_499)
        {
            var many = new JsonArray();
            for (var i = 0; i < 10_001; i++)
                many.Add(JsonNode.Parse("{\"exchange\":\"x\"}"));
            return new FuzzBody(number, FuzzKind.WrongShape, Utf8(Body(many)), 0, 0, "10,001 candles");
        }

        var roll = _random.NextDouble();
        if (roll < 0.40)
        {
            var candles = new JsonArray();
            var n = _random.Next(1, 6);
            for (var i = 0; i < n; i++)
                candles.Add(ValidCandle());
            return new FuzzBody(number, FuzzKind.Valid, Utf8(Body(candles)), n, 0, $"{n} valid");
        }

        if (roll < 0.65)
        {
            var candles = new JsonArray();
            int valid = 0, broken = 0;
            var what = new List<string>();
            var n = _random.Next(1, 7);
            for (var i = 0; i < n; i++)
            {
                if (_random.NextDouble() < 0.5)
                {
                    candles.Add(ValidCandle());
                    valid++;
                    continue;
                }

                // A broken candle takes no time slot: a valid one later may use it.
                var (field, how, breakIt) = Breakages[_random.Next(Breakages.Length)];
                var candle = ValidCandleWithoutSlot();
                candles.Add(field == "candle" ? JsonValue.Create(42) : breakIt(candle));
                broken++;
                what.Add($"{field} {how}");
            }

            return new FuzzBody(number, FuzzKind.Mixed, Utf8(Body(candles)), valid, broken, $"{valid} valid, broken: {string.Join(", ", what)}");
        }

        if (roll < 0.78)
        {
            string[] shapes = ["{}", "{\"candles\":7}", "{\"candles\":[]}", "{\"candles\":\"x\"}", "{\"candles\":{}}", "[1,2,3]", "\"text\"", "42", "true", "{\"candles\":null}"];
            var shape = shapes[_random.Next(shapes.Length)];
            return new FuzzBody(number, FuzzKind.WrongShape, Encoding.UTF8.GetBytes(shape), 0, 0, shape);
        }

        if (roll < 0.90)
        {
            var whole = Utf8(Body([ValidCandleWithoutSlot()]));
            var cut = _random.Next(1, whole.Length - 1);
            return new FuzzBody(number, FuzzKind.Truncated, whole[..cut], 0, 0, $"cut at {cut} of {whole.Length} bytes");
        }

        var garbage = new byte[_random.Next(1, 200)];
        _random.NextBytes(garbage);
        // Never a body that happens to be JSON: start with a byte no JSON text starts with.
        garbage[0] = (byte)'#';
        return new FuzzBody(number, FuzzKind.NotJson, garbage, 0, 0, $"{garbage.Length} random bytes");
    }

    JsonObject ValidCandleWithoutSlot()
    {
        var candle = ValidCandle();
        // Give the time slot back: only accepted candles consume one, so no later valid candle can be a duplicate of it.
        var symbol = (string)candle["symbol"]!;
        _next[int.Parse(symbol[2..symbol.IndexOf('/', StringComparison.Ordinal)], CultureInfo.InvariantCulture)]--;
        return candle;
    }
}
