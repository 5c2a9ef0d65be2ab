using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The Monitor on a real RabbitMQ and Redis: competing instances share their windows and state.</summary>
public sealed class MonitorBrokerTests : BrokerTest
{
    [Test]
    public async Task Two_instances_share_the_windows_and_raise_each_alert_once()
    {
        var market = DriftMarket.Generate(3_000 + 1_000, seed: 2, MarketShift.Variance, shiftAt: 3_300);
        var registry = new RedisModelRegistryStore(Redis, new RedisKeys(KeyPrefix));
        await DriftChampions.PromoteAsync(registry, ScratchDirectory, DriftMarket.Series, 1,
            DriftChampions.Manifest(ModelNames.For(DriftMarket.Series), DriftMarket.BaselineOf(market, 3_000)));
        await CandleStore.AppendAsync(DriftMarket.Series, market, null);
        var settings = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Monitor:RetrainCooldownCandles"] = "120" };
        await StartHostAsync(b => b.AddMonitorWorker(), settings);
        await StartHostAsync(b => b.AddMonitorWorker(), settings);
        var drift = await Amqp.TapAsync(Exchanges.DriftDetected);
        var retrain = await Amqp.TapAsync(Exchanges.TrainingRequested);

        // What a feed's candles cause: one data.ingested per batch of 10, published by a plain AMQP client.
        await Amqp.PublishAsync(Exchanges.DataIngested, JsonSerializer.Serialize(MonitorRig.Ingested(market.Take(3_000).ToList()), ContractJson.Options));
        foreach (var chunk in market.Skip(3_000).Chunk(10))
        {
            var ingested = MonitorRig.Ingested(chunk);
            await Amqp.PublishAsync(Exchanges.DataIngested, JsonSerializer.Serialize(ingested, ContractJson.Options), ingested.EventId.ToString());
        }

        await drift.WaitAsync(r => r.Any(d => d.Json.GetProperty("severity").GetString() == "high"), TimeSpan.FromSeconds(120), "an alert");
        await retrain.WaitForCountAsync(1, TimeSpan.FromSeconds(30));
        await Management.WaitForQueueEmptyAsync(VirtualHost, "monitor", TimeSpan.FromSeconds(120));
        await Task.Delay(1_000);

        var events = drift.Received.Select(d => d.Json).ToList();
        var keys = events.Select(e => $"{e.GetProperty("metric").GetString()}:{e.GetProperty("feature")}:{e.GetProperty("severity").GetString()}:" +
            e.GetProperty("window").GetProperty("to").GetString()).ToList();
        Assert.That(keys, Is.Unique, "no instance repeats another's event");
        Assert.That(events.Select(e => e.GetProperty("eventId").GetString()), Is.Unique);
        var first = events.First(e => e.GetProperty("severity").GetString() == "high");
        Assert.That(first.GetProperty("driftType").GetString(), Is.EqualTo("data"));
        Assert.That(first.GetProperty("model").GetProperty("version").GetInt32(), Is.EqualTo(1));
        var requests = retrain.Received.Select(d => d.Json).ToList();
        Assert.That(requests.Select(r => r.GetProperty("reason").GetString()), Is.All.EqualTo("drift"));
        Assert.That(requests, Has.Count.LessThanOrEqualTo(1 + 700 / 120), "at most one per 120-candle cooldown over the shifted candles");
        Assert.That(requests.Select(r => r.GetProperty("requestId").GetString()), Is.Unique);

        var windows = new RedisMonitorStore(Redis, new RedisKeys(KeyPrefix));
        var features = await windows.ReadAsync(MonitorKeys.FeaturesWindow(DriftMarket.Series, FeatureSpec.OhlcvV1.Id), 10_000);
        Assert.That(features, Has.Count.EqualTo(1_500), "one shared window of the newest 500 candles and its 1,000-candle reference");
        Assert.That(features[^1].Time, Is.EqualTo(market[^1].OpenTime.ToUnixTimeSeconds()));
        var errors = await Management.FindQueueAsync(VirtualHost, "monitor_error");
        Assert.That(errors?.GetProperty("messages").GetInt32() ?? 0, Is.Zero);
    }
}

/// <summary>The monitor store contract on a real Redis.</summary>
[Category("Broker")]
public sealed class RedisMonitorStoreTests : MonitorStoreContract
{
    RedisScratch? _redis;

    protected override IMonitorStore Store => new RedisMonitorStore(_redis!.Redis, _redis.Keys);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }
}
