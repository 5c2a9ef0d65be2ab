using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

public sealed class InMemoryCandleStoreTests : CandleStoreContract
{
    InMemoryCandleStore _store = new();

    protected override ICandleStore Store => _store;

    [SetUp]
    public void NewStore() => _store = new InMemoryCandleStore();

    [Test]
    public void Stored_values_keep_exact_decimals()
    {
        var candle = TestCandles.One() with { Close = 42250.123456789012m, Volume = 0.00000001m };

        var decoded = CandleValues.Decode(SeriesKey.Of(candle), CandleValues.Key(candle.OpenTime), CandleValues.Encode(candle));

        Assert.That(decoded, Is.EqualTo(candle));
        Assert.That(CandleValues.Encode(candle with { Open = 42150.50m }), Is.EqualTo(CandleValues.Encode(candle)));
    }
}
