using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>The Monitor worker as a host on the in-memory harness: its consumers, its queue, its options.</summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class MonitorWorkerTests : WorkerHarnessFixture
{
    protected override string ServiceName => "monitor-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddMonitorWorker();

    IHost Build(Dictionary<string, string?>? settings = null, InMemoryModelRegistryStore? registry = null, ICandleStore? candles = null) =>
        Build(settings, s =>
        {
            if (registry is not null)
                s.AddSingleton<IModelRegistryStore>(registry);
            if (candles is not null)
                s.AddSingleton(candles);
        });

    /// <summary>
    /// The measurement behind reading the store rather than the message's candles: a check reads the features' history
    /// (warm-up + smoothing history before the new candles) in one round trip; a feed's 1 to 30 new candles are a small
    /// part of it, so using them would save no round trip.
    /// </summary>
    [TestCase(1)]
    [TestCase(30)]
    [TestCase(1_000)]
    public async Task A_check_reads_the_candles_it_needs_from_the_store_in_one_round_trip(int batch)
    {
        var registry = new InMemoryModelRegistryStore();
        var market = DriftMarket.Generate(3_000, seed: 1);
        await DriftChampions.PromoteAsync(registry, Scratch, DriftMarket.Series, 1,
            DriftChampions.Manifest(ModelNames.For(DriftMarket.Series), DriftMarket.BaselineOf(market, 2_000)));
        var counting = new CountingCandleStore(new InMemoryCandleStore());
        var host = Build(registry: registry, candles: counting);
        await counting.AppendAsync(DriftMarket.Series, market, null);
        await host.StartAsync();
        var ingested = MonitorRig.Ingested(market.TakeLast(batch).ToList());
        await Harness.Bus.Publish(ingested);
        Assert.That(await Harness.Consumed.Any<DataIngested>(x => x.Context.Message.EventId == ingested.EventId), Is.True);

        var covered = Math.Min(batch, counting.CandlesRead);
        TestContext.Out.WriteLine($"data.ingested of {batch} candles: {counting.Reads} read(s), {counting.CandlesRead} candles read, "
            + $"{covered} of them in the message ({100.0 * covered / counting.CandlesRead:F1}%); round trips the message would save: "
            + $"{(batch >= counting.CandlesRead ? counting.Reads : 0)}");
        Assert.That(counting.Reads, Is.EqualTo(1), "one read serves the features and the outcome labelling");
        if (batch <= 30)
            Assert.That(counting.CandlesRead, Is.GreaterThan(10 * batch), "a feed's batch is a small part of the history read");
    }

    [Test]
    public async Task Data_and_streamed_predictions_on_the_monitor_queue_end_in_drift_detected_and_training_requested()
    {
        var registry = new InMemoryModelRegistryStore();
        var market = DriftMarket.Generate(3_000 + 900, seed: 1, MarketShift.Variance, shiftAt: 3_300);
        await DriftChampions.PromoteAsync(registry, Scratch, DriftMarket.Series, 1,
            DriftChampions.Manifest(ModelNames.For(DriftMarket.Series), DriftMarket.BaselineOf(market, 3_000)));
        var host = Build(registry: registry);
        var harness = host.Services.GetTestHarness();
        harness.TestTimeout = TimeSpan.FromSeconds(60);
        harness.TestInactivityTimeout = TimeSpan.FromSeconds(20);
        var store = host.Services.GetRequiredService<ICandleStore>();
        await host.StartAsync();

        await store.AppendAsync(DriftMarket.Series, market.Take(3_000).ToList(), null);
        await harness.Bus.Publish(MonitorRig.Ingested(market.Take(3_000).ToList()));
        // 30 candles per data.ingested, in order, as a feed would send them.
        foreach (var chunk in market.Skip(3_000).Chunk(30))
        {
            await store.AppendAsync(DriftMarket.Series, chunk, null);
            var ingested = MonitorRig.Ingested(chunk);
            await harness.Bus.Publish(ingested);
            Assert.That(await harness.Consumed.Any<DataIngested>(x => x.Context.Message.EventId == ingested.EventId), Is.True);
            await harness.Bus.Publish(MonitorRig.Streamed(chunk[^1], Signal.Hold, 0.5, ModelNames.For(DriftMarket.Series), 1));
        }

        var retrain = await harness.PublishedSingle<TrainingRequested>(r => r.Reason == "drift");
        var alerts = harness.PublishedNow<DriftDetected>(d => d.Severity == DriftSeverity.High && d.Action == DriftMonitor.RetrainAction);
        Assert.That(alerts, Is.Not.Empty, harness.Describe());
        Assert.That(alerts.Select(a => a.CorrelationId).Distinct().Count(), Is.EqualTo(1), "the alerts of one check, which asked for the retrain");
        var alert = alerts[0];
        Assert.That(alert.DriftType, Is.EqualTo(DriftType.Data));
        Assert.That((alert.Exchange, alert.Symbol, alert.Interval), Is.EqualTo(("sim", "DRIFT/USD", "1m")));
        Assert.That(alert.Model, Is.EqualTo(new ModelRef(ModelNames.For(DriftMarket.Series), 1)));
        Assert.That(alert.Value, Is.GreaterThanOrEqualTo(alert.Threshold).Or.LessThan(alert.Threshold), "a number");
        Assert.That(alert.Window.To - alert.Window.From, Is.EqualTo(TimeSpan.FromMinutes(499)), "the 500-candle window");
        Assert.That((retrain.Exchange, retrain.Symbol, retrain.Interval), Is.EqualTo(("sim", "DRIFT/USD", "1m")));
        Assert.That(retrain.Hyperparameters!["windowSize"].GetInt32(), Is.EqualTo(TrainedModels.Tiny.WindowSize), "the champion's recipe");
        Assert.That(retrain.CorrelationId, Is.EqualTo(alert.CorrelationId), "both caused by the same data.ingested");
        Assert.That(await harness.Consumed.Any<PredictionCompleted>(), Is.True, "prediction.completed reaches the monitor");
        Assert.That(await harness.Published.Any<Fault<DataIngested>>(), Is.False);
    }

    [Test]
    public async Task A_data_ingested_with_an_unknown_interval_is_refused_with_the_reason_and_not_retried()
    {
        var host = Build();
        var harness = host.Services.GetTestHarness();
        harness.TestInactivityTimeout = TimeSpan.FromSeconds(2);
        await host.StartAsync();
        var candle = DriftMarket.Generate(1, 1)[0] with { Interval = "7x" };
        var bad = MonitorRig.Ingested([candle]);
        await harness.Bus.Publish(bad);

        var fault = await harness.PublishedSingle<Fault<DataIngested>>(f => f.Message.EventId == bad.EventId);
        Assert.That(fault.Exceptions.Single().Message, Does.Contain("interval '7x'"));
        Assert.That(harness.Consumed.Select<DataIngested>(x => x.Context.Message.EventId == bad.EventId).Count(), Is.EqualTo(1), "no retry");
    }

    [Test]
    public void Thresholds_in_the_wrong_order_stop_the_worker_with_a_message_naming_them()
    {
        var host = Build(new Dictionary<string, string?>
        {
            ["Monitor:Psi:Warn"] = "0.3", ["Monitor:Psi:Alert"] = "0.2",
            ["Monitor:Features:rsi_14:KsPValue:Warn"] = "0.001", ["Monitor:Features:rsi_14:KsPValue:Alert"] = "0.01",
        });
        var error = Assert.Throws<OptionsValidationException>(() => _ = host.Services.GetRequiredService<IOptions<MonitorOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("Monitor:Psi").And.Contain("Monitor:Features:rsi_14:KsPValue"));
    }

    [Test]
    public void Per_feature_thresholds_bind_from_configuration()
    {
        var host = Build(new Dictionary<string, string?> { ["Monitor:Features:volatility_20:Psi:Warn"] = "0.2", ["Monitor:Features:volatility_20:Psi:Alert"] = "0.5" });
        var options = host.Services.GetRequiredService<IOptions<MonitorOptions>>().Value;
        Assert.That((options.PsiOf("volatility_20").Warn, options.PsiOf("volatility_20").Alert), Is.EqualTo((0.2, 0.5)));
        Assert.That(options.PsiOf("rsi_14").Alert, Is.EqualTo(0.25), "others keep Evidently's default");
        Assert.That(options.KsPValueOf("volatility_20").Warn, Is.EqualTo(1e-3));
    }

    [Test]
    public void Cooldowns_default_to_candle_counts_with_no_floor_in_time()
    {
        var options = Build().Services.GetRequiredService<IOptions<MonitorOptions>>().Value;
        Assert.That((options.CooldownCandles, options.RetrainCooldownCandles, options.ReferenceWindow), Is.EqualTo((60, 360, 1000)));
        Assert.That((options.Cooldown, options.RetrainCooldown, options.RetrainLookbackCandles, options.RetrainLookback),
            Is.EqualTo(((TimeSpan?)null, (TimeSpan?)null, (int?)null, (TimeSpan?)null)), "no floors in time; retrain on all stored candles");
    }

    [Test]
    public void Candle_counts_and_floors_bind_from_configuration()
    {
        var options = Build(new Dictionary<string, string?>
        {
            ["Monitor:CooldownCandles"] = "5", ["Monitor:RetrainCooldownCandles"] = "20", ["Monitor:RetrainLookbackCandles"] = "750",
            ["Monitor:RetrainCooldown"] = "30.00:00:00",
        }).Services.GetRequiredService<IOptions<MonitorOptions>>().Value;
        Assert.That((options.CooldownCandles, options.RetrainCooldownCandles, options.RetrainLookbackCandles, options.RetrainCooldown),
            Is.EqualTo((5, 20, (int?)750, (TimeSpan?)TimeSpan.FromDays(30))));
    }

    [TestCase("Monitor:RetrainLookbackCandles", "750", "Monitor:RetrainLookback", "3.00:00:00", "set one")]
    [TestCase("Monitor:CooldownCandles", "-1", "Monitor:ReferenceWindow", "1000", "CooldownCandles")]
    [TestCase("Monitor:RetrainCooldownCandles", "10", "Monitor:ReferenceWindow", "10", "ReferenceWindow")]
    public void A_bad_cooldown_or_lookback_stops_the_worker_with_a_message_naming_it(string key, string value, string other, string otherValue,
        string named)
    {
        var host = Build(new Dictionary<string, string?> { [key] = value, [other] = otherValue });
        var error = Assert.Throws<OptionsValidationException>(() => _ = host.Services.GetRequiredService<IOptions<MonitorOptions>>().Value);
        Assert.That(error!.Message, Does.Contain(named));
    }
}
