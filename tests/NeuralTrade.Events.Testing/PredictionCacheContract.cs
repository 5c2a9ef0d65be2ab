using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>The behaviour every <see cref="IPredictionCache"/> must have; run in memory and against a real Redis.</summary>
public abstract class PredictionCacheContract
{
    protected abstract IPredictionCache Cache { get; }

    /// <summary>Lets <paramref name="time"/> pass for the cache (a fixed clock moves; Redis is waited for).</summary>
    protected abstract Task PassAsync(TimeSpan time);

    static readonly SeriesKey Series = new("binance", "BTC/USDT", "1m");
    static readonly ModelRef Model = new("signal-binance-btc-usdt-1m", 3);
    static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    static PredictionCompleted Prediction(DateTimeOffset asOf, ModelRef model) => new()
    {
        RequestId = Guid.NewGuid(), Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval, AsOf = asOf,
        Signal = Signal.Buy, Confidence = 0.512345, Probabilities = new SignalProbabilities(0.2, 0.287655, 0.512345),
        Risk = new RiskAssessment(4, RiskLevel.Medium, ["volatility 0.12% per candle", "trend strength 0.31", "confidence 0.51"], "trade with normal size"),
        Model = model, LatencyMs = 3.25,
    };

    static string Json(PredictionCompleted? p) => JsonSerializer.Serialize(p, ContractJson.Options);

    static readonly DateTimeOffset AsOf = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task A_prediction_is_found_for_its_series_asOf_and_model()
    {
        var prediction = Prediction(AsOf, Model);
        await Cache.SetAsync(Series, prediction, Interval);

        var found = await Cache.GetAsync(Series, AsOf, Model);

        Assert.That(Json(found), Is.EqualTo(Json(prediction)), "every member comes back as it was stored");
    }

    [Test]
    public async Task Another_asOf_model_version_model_name_or_series_is_a_miss()
    {
        await Cache.SetAsync(Series, Prediction(AsOf, Model), Interval);

        Assert.Multiple(async () =>
        {
            Assert.That(await Cache.GetAsync(Series, AsOf.AddMinutes(1), Model), Is.Null, "newer candle");
            Assert.That(await Cache.GetAsync(Series, AsOf.AddMinutes(-1), Model), Is.Null, "older candle");
            Assert.That(await Cache.GetAsync(Series, AsOf, Model with { Version = 4 }), Is.Null, "a newer champion");
            Assert.That(await Cache.GetAsync(Series, AsOf, Model with { Name = "signal-other" }), Is.Null, "another model");
            Assert.That(await Cache.GetAsync(Series with { Symbol = "ETH/USDT" }, AsOf, Model), Is.Null, "another series");
        });
    }

    [Test]
    public async Task Only_the_latest_prediction_of_a_series_is_kept()
    {
        await Cache.SetAsync(Series, Prediction(AsOf, Model), Interval);
        var newer = Prediction(AsOf.AddMinutes(1), Model with { Version = 4 });
        await Cache.SetAsync(Series, newer, Interval);

        Assert.That(await Cache.GetAsync(Series, AsOf, Model), Is.Null);
        Assert.That(Json(await Cache.GetAsync(Series, newer.AsOf, newer.Model)), Is.EqualTo(Json(newer)));
    }

    [Test]
    public async Task A_prediction_is_gone_after_its_time_to_live()
    {
        await Cache.SetAsync(Series, Prediction(AsOf, Model), TimeSpan.FromMilliseconds(300));
        Assert.That(await Cache.GetAsync(Series, AsOf, Model), Is.Not.Null);

        await PassAsync(TimeSpan.FromMilliseconds(700));

        Assert.That(await Cache.GetAsync(Series, AsOf, Model), Is.Null);
    }
}
