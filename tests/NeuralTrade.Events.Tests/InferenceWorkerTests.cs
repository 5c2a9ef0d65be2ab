using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;

namespace NeuralTrade.Events.Tests;

/// <summary>The Inference worker on the in-memory harness with a real (small) model.</summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class InferenceWorkerTests : WorkerHarnessFixture
{
    InMemoryModelRegistryStore _registry = null!;
    static SeriesKey Series => TrainedModels.Series;

    protected override string ServiceName => "inference-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddInferenceWorker();

    [SetUp]
    public void Prepare() => _registry = new InMemoryModelRegistryStore();

    async Task StartAsync(bool withChampion = true, ICandleStore? candles = null)
    {
        if (withChampion)
            await RegisterChampionAsync("run-1");
        Build(new Dictionary<string, string?> { ["Candles:RequireClosed"] = "true" }, s =>
        {
            s.AddSingleton<IModelRegistryStore>(_registry);
            if (candles is not null)
                s.AddSingleton(candles);
        });
        await Get<ICandleStore>().AppendAsync(Series, TrainedModels.Market, null);
        await Host.StartAsync();
    }

    async Task<RegisteredVersion> RegisterChampionAsync(string runId)
    {
        var completed = TrainedModels.Completed(Scratch, runId);
        var version = await _registry.AddVersionAsync(new RegisteredVersion(completed.ModelName, 0, runId, completed.Artifact, completed.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        await _registry.PromoteAsync(completed.ModelName, version.Version);
        return version;
    }

    static PredictionRequested Request(IReadOnlyList<Candle>? candles = null, string symbol = "PLANT/USD") => new()
    {
        RequestId = Guid.NewGuid(), Exchange = Series.Exchange, Symbol = symbol, Interval = Series.Interval, Candles = candles,
    };

    [Test]
    public async Task A_champion_that_cannot_be_loaded_at_start_does_not_stop_the_instance_and_loads_once_it_can()
    {
        var champion = await RegisterChampionAsync("run-1");
        var file = new Uri(champion.Artifact.Uri).LocalPath;
        File.Move(file, file + ".away"); // the artifact store is unreachable for now

        await StartAsync(withChampion: false);
        var loader = Get<ChampionLoader>();
        var health = await Get<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync(r => r.Name == "champions");
        Assert.Multiple(() =>
        {
            Assert.That(loader.Waiting.Keys, Is.EquivalentTo(new[] { champion.ModelName }), "the series waits; the instance started");
            Assert.That(health.Status, Is.EqualTo(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded));
            Assert.That(health.Entries["champions"].Description, Does.Contain(champion.ModelName));
            Assert.That(Get<ModelCatalog>().Current(champion.ModelName), Is.Null);
        });

        File.Move(file + ".away", file);
        for (var i = 0; i < 100 && Get<ModelCatalog>().Current(champion.ModelName) is null; i++)
            await Task.Delay(100);
        health = await Get<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync(r => r.Name == "champions");
        Assert.That(Get<ModelCatalog>().Current(champion.ModelName)?.Version, Is.EqualTo(champion.Version), "loaded by the background retry");
        Assert.That((loader.Waiting.Count, health.Status), Is.EqualTo((0, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)));
    }

    [Test]
    public async Task Without_a_model_a_request_is_answered_with_no_model()
    {
        await StartAsync(withChampion: false);
        var request = Request();
        await Harness.Bus.Publish(request);

        var failed = await Harness.PublishedSingle<PredictionFailed>(f => f.RequestId == request.RequestId);

        Assert.That((failed.Code, failed.CorrelationId), Is.EqualTo(("no_model", request.CorrelationId)));
        Assert.That(failed.Error, Does.Contain("no model serves sim:PLANT/USD:1m"));
    }

    [Test]
    public async Task The_champion_loaded_at_start_answers_from_the_stored_window_with_risk_and_the_cache_repeats_it()
    {
        await StartAsync();
        var request = Request();
        await Harness.Bus.Publish(request);

        var answer = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == request.RequestId);

        Assert.That(answer.CorrelationId, Is.EqualTo(request.CorrelationId));
        Assert.That(answer.Model, Is.EqualTo(new ModelRef(TrainedModels.ModelName, 1)));
        Assert.That(answer.AsOf, Is.EqualTo(TrainedModels.Market[^1].OpenTime));
        var p = answer.Probabilities;
        Assert.That(p.Sell + p.Hold + p.Buy, Is.EqualTo(1).Within(1e-4));
        Assert.That(answer.Confidence, Is.EqualTo(Math.Max(p.Sell, Math.Max(p.Hold, p.Buy))).Within(1e-9));
        Assert.That(answer.Risk.Score, Is.InRange(0, 10));
        Assert.That(answer.Risk.Factors, Has.Some.StartsWith("volatility"));

        var cached = await Get<IPredictionCache>().GetAsync(Series, answer.AsOf, answer.Model);
        Assert.That(cached!.Probabilities, Is.EqualTo(answer.Probabilities));
        var again = Request();
        await Harness.Bus.Publish(again);
        var second = await Harness.PublishedSingle<PredictionCompleted>(x => x.RequestId == again.RequestId);
        Assert.That((second.Probabilities, second.AsOf, second.Model), Is.EqualTo((answer.Probabilities, answer.AsOf, answer.Model)));
        Assert.That(second.EventId, Is.Not.EqualTo(answer.EventId), "each request gets its own answer");
    }

    [Test]
    public async Task Candles_in_the_request_are_used_and_invalid_ones_are_refused_with_reasons()
    {
        await StartAsync();
        var window = TrainedModels.Market.Take(300).ToList(); // indicator history + warm-up + window: 253 for the fixture model
        var request = Request(window);
        await Harness.Bus.Publish(request);
        var answer = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == request.RequestId);
        Assert.That(answer.AsOf, Is.EqualTo(window[^1].OpenTime));

        var broken = window.ToList();
        broken[10] = broken[10] with { Low = broken[10].High + 1 };
        var bad = Request(broken);
        await Harness.Bus.Publish(bad);
        var failed = await Harness.PublishedSingle<PredictionFailed>(f => f.RequestId == bad.RequestId);
        Assert.That(failed.Code, Is.EqualTo("invalid_candles"));
        Assert.That(failed.Reasons!.Select(r => (r.Index, r.Code)), Has.Member((10, "ohlc_inconsistent")));

        var few = Request(window.Take(20).ToList());
        await Harness.Bus.Publish(few);
        Assert.That((await Harness.PublishedSingle<PredictionFailed>(f => f.RequestId == few.RequestId)).Code, Is.EqualTo("not_enough_data"));
    }

    [Test]
    public async Task Ingested_data_streams_a_prediction_for_the_newest_candle()
    {
        await StartAsync();
        var last = TrainedModels.Market[^1];
        await Harness.Bus.Publish(new DataIngested
        {
            Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval, Candles = [last],
            FirstOpenTime = last.OpenTime, LastOpenTime = last.OpenTime,
        });

        var streamed = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId is null);

        Assert.That(streamed.AsOf, Is.EqualTo(last.OpenTime));
    }

    /// <summary>
    /// The measurement behind reading the store rather than the message's candles: a streamed prediction reads the
    /// served window (warm-up + window + smoothing history) in one round trip. A feed's data.ingested carries 1 to 30
    /// candles, a small part of that window, so using them would save no round trip.
    /// </summary>
    [TestCase(1)]
    [TestCase(30)]
    [TestCase(1_000)]
    public async Task A_streamed_prediction_reads_its_window_from_the_store_in_one_round_trip(int batch)
    {
        var counting = new CountingCandleStore(new InMemoryCandleStore());
        await StartAsync(candles: counting);
        counting.Reset();
        var candles = TrainedModels.Market.TakeLast(batch).ToList();
        await Harness.Bus.Publish(MonitorRig.Ingested(candles));
        var streamed = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId is null);

        var covered = Math.Min(batch, counting.CandlesRead);
        TestContext.Out.WriteLine($"data.ingested of {batch} candles: {counting.Reads} read(s), {counting.CandlesRead} candles read, "
            + $"{covered} of them in the message ({100.0 * covered / counting.CandlesRead:F1}%); round trips the message would save: "
            + $"{(batch >= counting.CandlesRead ? counting.Reads : 0)}");
        Assert.That(streamed.AsOf, Is.EqualTo(candles[^1].OpenTime));
        Assert.That(counting.Reads, Is.EqualTo(1), "one read of the window");
        if (batch <= 30)
            Assert.That(counting.CandlesRead, Is.GreaterThan(10 * batch), "a feed's batch is a small part of the window read");
    }

    [Test]
    public async Task A_tampered_artifact_is_refused_and_the_champion_keeps_serving()
    {
        await StartAsync();
        var tampered = TrainedModels.Outcome.Artifact.ToArray();
        tampered[^10] ^= 0xFF;
        // Registered as the Registry would (the record only it writes), yet the bytes on disk no longer match the digest.
        var bad = TrainedModels.Completed(Scratch, "run-bad", tampered, claimedSha256: TrainedModels.Outcome.Sha256);
        var version = await _registry.AddVersionAsync(new RegisteredVersion(bad.ModelName, 0, "run-bad", bad.Artifact, bad.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        await _registry.PromoteAsync(bad.ModelName, version.Version);
        await Harness.Bus.Publish(Deployed(version));

        var fault = await Harness.PublishedSingle<Fault<ModelDeployed>>(_ => true);
        Assert.That(fault.Exceptions.Single().Message, Does.Contain("refused").And.Contain("SHA-256").And.Contain("keeps serving"));
        Assert.That(Harness.PublishedNow<Fault<ModelDeployed>>(), Has.Count.EqualTo(1), "refused at once, not retried");
        await AssertServesAsync(1);
    }

    [Test]
    public async Task A_model_deployed_the_registry_never_registered_is_refused_and_the_champion_keeps_serving()
    {
        await StartAsync();
        // A forger's own model, with a correct digest for its own bytes: the digest proves nothing about where it came from.
        var forged = TrainedModels.Completed(Scratch, "run-forged");
        await Harness.Bus.Publish(new ModelDeployed
        {
            ModelName = forged.ModelName, Version = 2, RunId = "run-forged", Artifact = forged.Artifact, Metrics = forged.Metrics, PreviousVersion = 1,
        });

        var fault = await Harness.PublishedSingle<Fault<ModelDeployed>>(_ => true);
        Assert.That(fault.Exceptions.Single().Message, Does.Contain("v2 refused").And.Contain("only the Registry deploys"));
        await AssertServesAsync(1);
    }

    [Test]
    public async Task A_model_deployed_naming_another_artifact_than_the_registry_record_is_refused()
    {
        await StartAsync();
        var champion = (await _registry.GetChampionAsync(TrainedModels.ModelName))!;
        var elsewhere = new ArtifactRef("file:///etc/passwd", champion.Artifact.Sha256, champion.Artifact.SizeBytes);
        await Harness.Bus.Publish(Deployed(champion) with { Artifact = elsewhere });
        var missingDigest = Deployed(champion) with { Artifact = champion.Artifact with { Sha256 = "" } };
        await Harness.Bus.Publish(missingDigest);

        Assert.That(await Harness.Published.Any<Fault<ModelDeployed>>(f => f.Context.Message.Message.EventId == missingDigest.EventId), Is.True);
        var faults = Harness.PublishedNow<Fault<ModelDeployed>>();
        Assert.That(faults, Has.Count.EqualTo(2), Harness.Describe());
        Assert.That(faults.Select(f => f.Exceptions.Single().Message), Has.All.Contain("is not the one the Registry recorded"));
        Assert.That(faults.Select(f => f.Exceptions.Single().Message), Has.Some.Contain("SHA-256 missing"));
        await AssertServesAsync(1);
    }

    [Test]
    public async Task A_model_deployed_older_than_the_champion_of_record_swaps_to_the_champion_of_record()
    {
        await StartAsync();
        var v1 = (await _registry.GetChampionAsync(TrainedModels.ModelName))!;
        var v2 = await RegisterChampionAsync("run-2");
        await Harness.Bus.Publish(Deployed(v1)); // a late notice: v2 has since been promoted

        Assert.That(await Harness.Consumed.Any<ModelDeployed>(), Is.True);
        Assert.That(Harness.PublishedNow<Fault<ModelDeployed>>(), Is.Empty);
        await AssertServesAsync(v2.Version);
    }

    static ModelDeployed Deployed(RegisteredVersion v) => new()
    {
        ModelName = v.ModelName, Version = v.Version, RunId = v.RunId, Artifact = v.Artifact, Metrics = v.Metrics,
    };

    async Task AssertServesAsync(int version)
    {
        for (var i = 0; i < 100 && Get<ModelCatalog>().Current(TrainedModels.ModelName)?.Version != version; i++)
            await Task.Delay(50);
        var request = Request();
        await Harness.Bus.Publish(request);
        var answer = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == request.RequestId);
        Assert.That(answer.Model.Version, Is.EqualTo(version));
    }

    [Test]
    public async Task A_caller_window_is_answered_but_never_cached_nor_shared()
    {
        await StartAsync();
        var own = Request(TrainedModels.Market.Take(TrainedModels.Market.Count - 1).TakeLast(700).ToList());
        await Harness.Bus.Publish(own);
        var answer = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == own.RequestId);

        Assert.That(await Get<IPredictionCache>().GetAsync(Series, answer.AsOf, answer.Model), Is.Null, "a caller's window is not cached");
    }

    [Test]
    public async Task A_request_by_reference_scores_the_stored_window_at_asOf_as_its_candles_would()
    {
        await StartAsync();
        var market = TrainedModels.Market;
        var at = market.Count - 40;
        var byReference = Request() with { AsOf = market[at].OpenTime };
        await Harness.Bus.Publish(byReference);
        var answer = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == byReference.RequestId);

        var wanted = ServingWindow.CandlesWanted(Get<ModelCatalog>().Current(TrainedModels.ModelName)!.Model);
        var byValue = Request(market.Take(at + 1).TakeLast(wanted).ToList());
        await Harness.Bus.Publish(byValue);
        var same = await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == byValue.RequestId);
        Assert.Multiple(() =>
        {
            Assert.That(answer.AsOf, Is.EqualTo(market[at].OpenTime));
            Assert.That(answer.Probabilities, Is.EqualTo(same.Probabilities), "the stored window at asOf is the window a caller would send");
            Assert.That(answer.Risk, Is.EqualTo(same.Risk).Using<RiskAssessment>((a, b) => a.Score == b.Score && a.Level == b.Level));
        });
        Assert.That(await Get<IPredictionCache>().GetAsync(Series, answer.AsOf, answer.Model), Is.Null, "an older window does not replace the newest in the cache");

        var latest = Request() with { AsOf = market[^1].OpenTime };
        await Harness.Bus.Publish(latest);
        Assert.That((await Harness.PublishedSingle<PredictionCompleted>(p => p.RequestId == latest.RequestId)).AsOf, Is.EqualTo(market[^1].OpenTime));
    }

    [Test]
    public async Task A_request_by_reference_to_a_time_with_no_candle_or_with_candles_too_is_refused_with_the_reason()
    {
        await StartAsync();
        var market = TrainedModels.Market;
        var between = Request() with { AsOf = market[^5].OpenTime.AddSeconds(30) };
        var before = Request() with { AsOf = market[0].OpenTime.AddDays(-1) };
        var early = Request() with { AsOf = market[10].OpenTime };
        var both = Request(market.TakeLast(300).ToList()) with { AsOf = market[^1].OpenTime };
        foreach (var request in new[] { between, before, early, both })
            await Harness.Bus.Publish(request);

        async Task<PredictionFailed> Failed(PredictionRequested r) => await Harness.PublishedSingle<PredictionFailed>(f => f.RequestId == r.RequestId);
        var (b, o, e, t) = (await Failed(between), await Failed(before), await Failed(early), await Failed(both));
        Assert.Multiple(() =>
        {
            Assert.That((b.Code, b.Error), Is.EqualTo(("not_enough_data",
                $"no candle of {Series} is stored at asOf {between.AsOf:O}; the newest at or before it opens at {market[^5].OpenTime:O}")));
            Assert.That((o.Code, o.Error), Is.EqualTo(("not_enough_data", $"no candle of {Series} is stored at asOf {before.AsOf:O}; none is stored at or before it")));
            Assert.That(e.Code, Is.EqualTo("not_enough_data"), "11 candles of history are too few");
            Assert.That(e.Error, Does.StartWith($"11 candles of {Series} available"));
            Assert.That(t.Code, Is.EqualTo("invalid_request"));
            Assert.That(t.Error, Does.Contain("both candles and asOf"));
        });
    }

    [Test]
    public async Task A_request_with_more_candles_than_the_cap_is_refused_before_reading_them()
    {
        await StartAsync();
        var huge = Request([.. TrainedModels.Market.Take(2_049)]);
        await Harness.Bus.Publish(huge);

        var failed = await Harness.PublishedSingle<PredictionFailed>(f => f.RequestId == huge.RequestId);
        Assert.That((failed.Code, failed.Error), Is.EqualTo(("invalid_request", "the request carries 2049 candles; at most 2048 are read")));
    }

    [Test]
    public async Task A_swap_under_load_fails_and_loses_no_request_and_retires_the_old_model()
    {
        await StartAsync();
        var catalog = Get<ModelCatalog>();
        var v1 = catalog.Current(TrainedModels.ModelName)!;
        var v2 = await RegisterChampionAsync("run-2");
        var requests = Enumerable.Range(0, 300).Select(_ => Request(TrainedModels.Market.Skip(1_000).Take(300).ToList())).ToList();

        var sending = Task.WhenAll(requests.Select(r => Harness.Bus.Publish(r)));
        await Harness.Bus.Publish(new ModelDeployed
        {
            ModelName = v2.ModelName, Version = v2.Version, RunId = v2.RunId, Artifact = v2.Artifact, Metrics = v2.Metrics, PreviousVersion = 1,
        });
        await sending;

        var ids = requests.Select(r => r.RequestId).ToHashSet();
        for (var i = 0; i < 200 && Harness.PublishedNow<PredictionCompleted>(p => p.RequestId is { } id && ids.Contains(id)).Count < ids.Count; i++)
            await Task.Delay(50);
        var answers = Harness.PublishedNow<PredictionCompleted>(p => p.RequestId is { } id && ids.Contains(id));
        Assert.That(answers.Select(a => a.RequestId).Distinct().Count(), Is.EqualTo(300), "every request answered");
        Assert.That(Harness.PublishedNow<PredictionFailed>(), Is.Empty);
        Assert.That(answers.Select(a => a.Model.Version).Distinct(), Is.SubsetOf(new[] { 1, 2 }));
        // The swap may finish after the last answer: it is loaded and warmed off the request path.
        for (var i = 0; i < 200 && !(catalog.Current(TrainedModels.ModelName)!.Version == 2 && v1.IsDisposed); i++)
            await Task.Delay(50);
        Assert.That(catalog.Current(TrainedModels.ModelName)!.Version, Is.EqualTo(2));
        Assert.That(v1.IsDisposed, Is.True, "the old model is disposed once no prediction uses it");
    }
}

/// <summary>Serving reads features exactly as training did, and the risk follows the market's shape.</summary>
public sealed class ServingTests
{
    [Test]
    public void The_serving_window_equals_the_training_window_for_the_same_candle()
    {
        using var model = ModelArtifact.Read(TrainedModels.Outcome.Artifact, TrainedModels.Outcome.Sha256);
        var candles = TrainedModels.Market;
        var data = SignalDataset.Build(candles, model.Manifest.WindowSize, model.Manifest.Labels);
        var sample = data.Samples[^1];
        var expected = new float[model.Manifest.WindowSize * data.Features.Columns];
        data.CopyWindows([sample], model.Scaler, expected);

        Assume.That(sample.End, Is.GreaterThan(ServingWindow.CandlesWanted(model)), "the serving path must see only part of the history");

        var served = ServingWindow.Latest(model, candles.Take(sample.End + 1).ToList());

        Assert.That(served, Is.EqualTo(expected).Within(1e-5f), "training and serving must see the same inputs");
    }

    [Test]
    public void Risk_is_low_for_a_calm_trend_and_high_for_violent_chop()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Candle At(int i, double close) => new("sim", "X", "1m", start.AddMinutes(i), (decimal)close, (decimal)close, (decimal)close, (decimal)close, 1);
        var calm = Enumerable.Range(0, 30).Select(i => At(i, 100 * Math.Pow(1.0005, i))).ToList();
        var chop = Enumerable.Range(0, 30).Select(i => At(i, i % 2 == 0 ? 100 : 103)).ToList();

        var low = RiskAssessor.Assess(calm, Signal.Buy, 0.9);
        var high = RiskAssessor.Assess(chop, Signal.Buy, 0.4);

        Assert.That((low.Level, low.Recommendation), Is.EqualTo((RiskLevel.Low, "trade with normal size")));
        Assert.That(high.Level, Is.EqualTo(RiskLevel.Critical));
        Assert.That(high.Factors, Is.SupersetOf(new[] { "high volatility", "no clear trend", "low model confidence" }));
        Assert.That(RiskAssessor.Assess(calm, Signal.Hold, 0.9).Recommendation, Is.EqualTo("stay flat"));
    }
}
