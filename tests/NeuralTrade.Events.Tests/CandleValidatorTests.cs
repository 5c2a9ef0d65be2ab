using System.Text.Json;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

public sealed class CandleValidatorTests
{
    static readonly DateTimeOffset Now = new(2024, 1, 15, 12, 0, 0, TimeSpan.Zero);
    readonly CandleValidator _validator = new(new CandleRules(), new FixedTimeProvider(Now));

    const string Valid = """{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":42150.5,"high":42300,"low":42100,"close":42250.75,"volume":1234.56}""";

    CandleCheck Read(string json) => _validator.Read(JsonDocument.Parse(json).RootElement, 7);

    static string With(string field, string rawValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Valid)!.AsObject();
        node[field] = rawValue == "<missing>" ? null : System.Text.Json.Nodes.JsonNode.Parse(rawValue);
        if (rawValue == "<missing>")
            node.Remove(field);
        return node.ToJsonString();
    }

    [Test]
    public void Valid_candle_reads_exactly()
    {
        var check = Read(Valid);

        Assert.That(check.IsValid, Is.True, string.Join("; ", check.Reasons));
        Assert.That(check.Candle, Is.EqualTo(TestCandles.One(new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero))));
    }

    [TestCase("exchange", "<missing>", "required")]
    [TestCase("open", "null", "required")]
    [TestCase("symbol", "\"\"", "required")]
    [TestCase("open", "\"42150.5\"", "wrong_type")]
    [TestCase("volume", "true", "wrong_type")]
    [TestCase("openTime", "1705314600000", "wrong_type")]
    [TestCase("close", "1e400", "not_finite")]
    [TestCase("open", "0", "non_positive")]
    [TestCase("low", "-5", "non_positive")]
    [TestCase("volume", "-0.01", "negative")]
    [TestCase("close", "1e13", "too_large")]
    [TestCase("interval", "\"7m\"", "unknown_interval")]
    [TestCase("openTime", "\"2024-01-15T10:30:30Z\"", "misaligned")]
    [TestCase("openTime", "\"2024-01-15T10:30:00\"", "invalid_format")]
    [TestCase("openTime", "\"yesterday\"", "invalid_format")]
    [TestCase("openTime", "\"2024-01-15T12:10:00Z\"", "future")]
    [TestCase("openTime", "\"2024-01-15T11:59:30Z\"", "misaligned")]
    [TestCase("symbol", "\"btc/usdt\"", "invalid_format")]
    [TestCase("symbol", "\"BTC:USDT\"", "invalid_format")]
    [TestCase("exchange", "\"Binance Global\"", "invalid_format")]
    public void Invalid_field_is_rejected_with_code_and_field(string field, string value, string code)
    {
        var check = Read(With(field, value));

        Assert.That(check.IsValid, Is.False);
        Assert.That(check.Reasons, Has.Some.Matches<Contracts.RejectionReason>(r => r.Code == code && r.Field == field && r.Index == 7),
            string.Join("; ", check.Reasons));
        Assert.That(check.Reasons, Has.All.Matches<Contracts.RejectionReason>(r => r.Message.Length > 10));
    }

    [Test]
    public void Candle_that_has_not_closed_is_rejected()
    {
        // Opened at "now": it closes a minute later.
        var check = Read(With("openTime", "\"2024-01-15T12:00:00Z\""));

        Assert.That(check.Reasons.Select(r => r.Code), Is.EqualTo(new[] { "not_closed" }));
    }

    [Test]
    public void Inconsistent_ohlc_names_each_violated_bound()
    {
        var check = Read(With("high", "42000").Replace("\"low\":42100", "\"low\":42260", StringComparison.Ordinal));

        Assert.That(check.Reasons.Select(r => (r.Code, r.Field)), Is.EquivalentTo(new[]
        {
            ("ohlc_inconsistent", "low"), ("ohlc_inconsistent", "low"), ("ohlc_inconsistent", "high"),
        }));
    }

    [Test]
    public void Every_problem_of_a_candle_is_reported_in_one_pass()
    {
        var check = Read("""{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":"x","high":-1,"low":1,"volume":-2}""");

        Assert.That(check.Reasons.Select(r => r.Code), Is.EquivalentTo(new[] { "wrong_type", "required", "non_positive", "negative" }));
    }

    [TestCase("[1,2]")]
    [TestCase("\"candle\"")]
    [TestCase("null")]
    public void Non_object_is_rejected(string json)
    {
        Assert.That(Read(json).Reasons.Single().Code, Is.EqualTo("not_an_object"));
    }

    [Test]
    public void Field_names_match_case_insensitively_and_unknown_fields_are_ignored()
    {
        var check = Read(Valid.Replace("\"openTime\"", "\"OpenTime\"", StringComparison.Ordinal).Replace("}", ",\"trades\":17}", StringComparison.Ordinal));

        Assert.That(check.IsValid, Is.True);
    }

    [Test]
    public void Typed_candle_is_checked_by_the_same_rules()
    {
        var bad = TestCandles.One() with { Low = 50_000m };

        Assert.That(_validator.Validate(bad, 0).Reasons.Select(r => r.Code), Has.All.EqualTo("ohlc_inconsistent"));
        Assert.That(_validator.Validate(TestCandles.One(), 0).IsValid, Is.True);
    }

    [TestCase("1m", "2024-01-15T10:31:00Z", true)]
    [TestCase("4h", "2024-01-15T08:00:00Z", true)]
    [TestCase("4h", "2024-01-15T09:00:00Z", false)]
    [TestCase("1d", "2024-01-15T00:00:00Z", true)]
    [TestCase("1d", "2024-01-15T00:00:00+01:00", false)]
    public void Alignment_counts_from_the_unix_epoch_in_utc(string interval, string openTime, bool aligned)
    {
        Assert.That(Intervals.IsAligned(DateTimeOffset.Parse(openTime, System.Globalization.CultureInfo.InvariantCulture), Intervals.LengthOf(interval)),
            Is.EqualTo(aligned));
    }
}
