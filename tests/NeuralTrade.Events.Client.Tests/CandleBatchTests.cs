using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using IngestRules = NeuralTrade.Events.MarketData.CandleRules;
using IngestValidator = NeuralTrade.Events.MarketData.CandleValidator;

namespace NeuralTrade.Events.Client.Tests;

/// <summary>What the client checks and writes before a batch of candles leaves the process.</summary>
public sealed class CandleBatchTests
{
    static readonly NeuralTradeClientOptions Options = new() { Url = "amqp://feed:secret@localhost:5672/" };
    static readonly Candle Good = new("binance", "BTC/USDT", "1m", DateTimeOffset.Parse("2024-01-15T10:30:00Z"), 42150.5m, 42300m, 42100m, 42250.75m, 1234.56m);

    static List<Candle> Minutes(int count) =>
        Enumerable.Range(0, count).Select(i => Good with { OpenTime = Good.OpenTime.AddMinutes(i) }).ToList();

    [Test]
    public void An_empty_batch_is_refused_before_anything_is_sent()
    {
        var e = Assert.Throws<CandleValidationException>(() => CandleBatches.Prepare([], null, Guid.NewGuid(), Options));

        Assert.That(e!.Message, Does.Contain("1 to 10,000 candles; got 0"));
        Assert.That(e.Reasons, Is.Empty);
        Assert.That(e.ParamName, Is.EqualTo("candles"));
    }

    [Test]
    public void More_than_ten_thousand_candles_are_refused_with_the_advice_to_split()
    {
        var e = Assert.Throws<CandleValidationException>(() => CandleBatches.Prepare(Minutes(10_001), null, Guid.NewGuid(), Options));

        Assert.That(e!.Message, Does.Contain("got 10,001").And.Contain("batches of at most 10,000"));
    }

    [Test]
    public void Ten_thousand_candles_are_one_message_within_the_body_limit()
    {
        var body = CandleBatches.Prepare(Minutes(10_000), "binance-ws", Guid.NewGuid(), Options);

        Assert.That(body, Has.Length.LessThanOrEqualTo(8 * 1024 * 1024));
        Assert.That(JsonSerializer.Deserialize<MarketCandles>(body, ContractJson.Options)!.Candles, Has.Count.EqualTo(10_000));
    }

    [Test]
    public void A_body_over_the_configured_limit_is_refused_with_its_size()
    {
        var small = Options with { MaxCandleBodyBytes = 1_000 };

        var e = Assert.Throws<CandleValidationException>(() => CandleBatches.Prepare(Minutes(20), null, Guid.NewGuid(), small));

        Assert.That(e!.Message, Does.Contain("above the limit of 1,000 bytes").And.Contain("send fewer candles"));
    }

    [Test]
    public void The_body_is_the_contract_json_with_the_batch_id_as_event_and_correlation_id()
    {
        var batchId = Guid.NewGuid();
        var candles = Minutes(3);

        var body = CandleBatches.Prepare(candles, "my-feed", batchId, Options);

        var json = JsonDocument.Parse(body).RootElement;
        Assert.That(json.GetProperty("eventId").GetGuid(), Is.EqualTo(batchId));
        Assert.That(json.GetProperty("correlationId").GetGuid(), Is.EqualTo(batchId));
        Assert.That(json.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(1));
        Assert.That(json.GetProperty("source").GetString(), Is.EqualTo("my-feed"));
        Assert.That(json.GetProperty("occurredAt").GetString(), Is.EqualTo("2024-01-15T10:33:00Z"), "the close of the newest candle");
        Assert.That(json.GetProperty("candles")[0].GetRawText(), Is.EqualTo(
            """{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":42150.5,"high":42300,"low":42100,"close":42250.75,"volume":1234.56}"""));
        Assert.That(JsonSerializer.Deserialize<MarketCandles>(body, ContractJson.Options)!.Candles, Is.EqualTo(candles));
    }

    [Test]
    public void A_re_send_with_the_same_id_is_the_same_bytes_and_another_id_is_not()
    {
        var batchId = Guid.NewGuid();
        var first = CandleBatches.Prepare(Minutes(5), "feed", batchId, Options);
        Thread.Sleep(20); // a body that held the clock would differ now

        var again = CandleBatches.Prepare(Minutes(5), "feed", batchId, Options);
        var other = CandleBatches.Prepare(Minutes(5), "feed", Guid.NewGuid(), Options);

        Assert.That(again, Is.EqualTo(first), "Ingest keys a message by user, message_id and exact body: a re-send must be byte-identical");
        Assert.That(other, Is.Not.EqualTo(first));
    }

    [Test]
    public void A_source_absent_is_omitted_from_the_body()
    {
        var body = Encoding.UTF8.GetString(CandleBatches.Prepare([Good], null, Guid.NewGuid(), Options));

        Assert.That(body, Does.Not.Contain("source"));
    }

    [Test]
    public void The_empty_uuid_is_not_a_batch_id() =>
        Assert.Throws<ArgumentException>(() => CandleBatches.Prepare([Good], null, Guid.Empty, Options));

    [Test]
    public void Every_bad_candle_is_named_with_its_index_code_and_field_and_nothing_is_sent()
    {
        List<Candle> candles =
        [
            Good,
            Good with { OpenTime = Good.OpenTime.AddMinutes(1), Low = 42400m },
            Good with { OpenTime = Good.OpenTime.AddSeconds(30) },
            Good with { OpenTime = Good.OpenTime.AddMinutes(3), Volume = -1m },
        ];

        var e = Assert.Throws<CandleValidationException>(() => CandleBatches.Prepare(candles, null, Guid.NewGuid(), Options));

        Assert.That(e!.Reasons.Select(r => (r.Index, r.Code, r.Field)), Is.EqualTo(new[]
        {
            (1, "ohlc_inconsistent", (string?)"low"), (1, "ohlc_inconsistent", "low"), (2, "misaligned", "openTime"), (3, "negative", "volume"),
        }));
        Assert.That(e.Message, Does.StartWith("3 of 4 candles break the contract, so none was published; the first: candle 1 ohlc_inconsistent low"));
    }

    [Test]
    public void With_message_limits_only_the_candles_are_left_to_Ingest()
    {
        var relaxed = Options with { CandleChecks = CandleChecks.MessageLimitsOnly };
        var bad = Good with { Low = 42400m };

        var body = CandleBatches.Prepare([Good, bad], null, Guid.NewGuid(), relaxed);

        Assert.That(JsonSerializer.Deserialize<MarketCandles>(body, ContractJson.Options)!.Candles[1], Is.EqualTo(bad));
        Assert.Throws<CandleValidationException>(() => CandleBatches.Prepare([Good, null!], null, Guid.NewGuid(), relaxed), "a null is not a candle");
    }

    /// <summary>Candles each breaking rules that do not depend on the clock or the store.</summary>
    static IEnumerable<TestCaseData> BrokenCandles()
    {
        yield return new TestCaseData(Good with { Exchange = "Binance" }).SetName("exchange upper case");
        yield return new TestCaseData(Good with { Exchange = "" }).SetName("exchange empty");
        yield return new TestCaseData(Good with { Exchange = new string('a', 33) }).SetName("exchange too long");
        yield return new TestCaseData(Good with { Symbol = "btc/usdt" }).SetName("symbol lower case");
        yield return new TestCaseData(Good with { Symbol = "BTC/USDT/EUR" }).SetName("symbol three parts");
        yield return new TestCaseData(Good with { Symbol = null! }).SetName("symbol null");
        yield return new TestCaseData(Good with { Interval = "2w" }).SetName("interval unknown");
        yield return new TestCaseData(Good with { Interval = "5m", OpenTime = Good.OpenTime.AddMinutes(1) }).SetName("misaligned 5m");
        yield return new TestCaseData(Good with { Open = 0m }).SetName("open zero");
        yield return new TestCaseData(Good with { Close = -3m }).SetName("close negative");
        yield return new TestCaseData(Good with { High = 2_000_000_000_000m }).SetName("high too large");
        yield return new TestCaseData(Good with { Volume = 2_000_000_000_000_000_000m }).SetName("volume too large");
        yield return new TestCaseData(Good with { Volume = -0.5m }).SetName("volume negative");
        yield return new TestCaseData(Good with { Low = 42300.5m }).SetName("low above high");
        yield return new TestCaseData(Good with { High = 42200m }).SetName("high below close");
        yield return new TestCaseData(Good with { Open = 1m, High = 1m, Low = 2m, Close = 0m }).SetName("several at once");
        yield return new TestCaseData(Good).SetName("a good candle");
    }

    [TestCaseSource(nameof(BrokenCandles))]
    public void The_client_names_the_same_problems_as_Ingest(Candle candle)
    {
        // As Ingest reads it: the candle as the client writes it on the wire.
        var wire = JsonSerializer.SerializeToElement(candle, ContractJson.Options);
        var ingest = new IngestValidator(new IngestRules(), TimeProvider.System).Read(wire, 7).Reasons;
        var client = new List<RejectionReason>();

        CandleRules.Check(candle, 7, client);

        Assert.That(client.Select(r => (r.Index, r.Code, r.Field)), Is.EqualTo(ingest.Select(r => (r.Index, r.Code, r.Field))));
    }

    [Test]
    public void A_prediction_window_must_be_one_series_ascending_and_within_the_request_limit()
    {
        var series = new Series("binance", "BTC/USDT", "1m");
        var window = Minutes(3);

        Assert.DoesNotThrow(() => CandleBatches.ValidateRequest(series, window, Options));
        Assert.DoesNotThrow(() => CandleBatches.ValidateRequest(series, null, Options), "no candles: the stored window");

        var otherSeries = Assert.Throws<CandleValidationException>(() =>
            CandleBatches.ValidateRequest(series, [window[0], window[1] with { Symbol = "ETH/USDT" }], Options));
        Assert.That(otherSeries!.Reasons.Single().Message, Does.Contain("binance:ETH/USDT:1m, not of the series asked about, binance:BTC/USDT:1m"));

        var descending = Assert.Throws<CandleValidationException>(() => CandleBatches.ValidateRequest(series, [window[1], window[0]], Options));
        Assert.That(descending!.Reasons.Single().Message, Does.Contain("must be ascending"));

        var tooMany = Assert.Throws<CandleValidationException>(() => CandleBatches.ValidateRequest(series, Minutes(2_049), Options));
        Assert.That(tooMany!.Message, Does.Contain("1 to 2,048 candles"));
        Assert.Throws<CandleValidationException>(() => CandleBatches.ValidateRequest(series, [], Options));
    }
}
