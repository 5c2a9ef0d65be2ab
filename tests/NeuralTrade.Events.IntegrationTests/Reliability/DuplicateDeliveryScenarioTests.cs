using System.Diagnostics.Metrics;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "duplicate delivery": the five workers run on the real broker and Redis; every event type a
/// worker consumes is delivered twice more (the same body and message id, both copies at once, as a publisher retry or a
/// redelivery would) and the scenario counts what changed: stored state, registered versions, swaps, and the events
/// announced (distinct event ids). A duplicate may re-announce an event under its own event id; it must never change
/// anything twice or announce anything new.
/// </summary>
[Category("Reliability")]
public sealed class DuplicateDeliveryScenarioTests : BrokerTest
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Test, Category(TestCategories.Numerics)]
    public async Task Every_event_type_delivered_three_times_has_no_double_effect()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var shared = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Training:PollIntervalMs"] = "100" };
        await StartHostAsync(b => b.AddIngestWorker(), shared);
        await StartHostAsync(b => b.AddTrainingWorker(), shared);
        await StartHostAsync(b => b.AddRegistryWorker(), shared);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>(shared) { ["Inference:InstanceId"] = "dup" });
        await StartHostAsync(b => b.AddMonitorWorker(), shared);
        var taps = new Dictionary<string, Tap>();
        foreach (var exchange in new[]
                 {
                     Exchanges.DataIngested, Exchanges.DataRejected, Exchanges.TrainingStarted, Exchanges.TrainingCompleted, Exchanges.TrainingFailed,
                     Exchanges.ModelDeployed, Exchanges.ModelRejected, Exchanges.PredictionCompleted, Exchanges.PredictionFailed, Exchanges.DriftDetected,
                 })
            taps[exchange] = await Amqp.TapAsync(exchange);
        using var swaps = new SwapCounter();
        var report = new List<string>();

        // Publishes a message three times in all (the original and two copies with the same body and message id, all at once).
        async Task DeliverThriceAsync(string exchange, string body, string messageId)
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Amqp.PublishAsync(exchange, body, messageId)));
        }

        async Task SettleAsync(params string[] queues)
        {
            foreach (var queue in queues)
                await Management.WaitForQueueEmptyAsync(VirtualHost, queue, Wait);
            await Task.Delay(1_000);
        }

        int Distinct(string exchange, Func<JsonElement, bool>? where = null) =>
            taps[exchange].Received.Select(d => d.Json).Where(j => where?.Invoke(j) ?? true).Select(j => j.GetProperty("eventId").GetString()).Distinct().Count();
        int Deliveries(string exchange, Func<JsonElement, bool>? where = null) => taps[exchange].Received.Select(d => d.Json).Count(j => where?.Invoke(j) ?? true);

        // training.requested ×3 → one job, one run, one training.completed.
        var requestId = Guid.NewGuid();
        await DeliverThriceAsync(Exchanges.TrainingRequested, $$$"""
            {"requestId":"{{{requestId}}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m","reason":"manual",
             "hyperparameters":{{{TrainedModels.TinyJson()}}}}
            """, requestId.ToString());
        var trained = (await taps[Exchanges.TrainingCompleted].WaitForCountAsync(1, TimeSpan.FromSeconds(180)))[0];
        var deployedV1 = (await taps[Exchanges.ModelDeployed].WaitForCountAsync(1, Wait))[0];
        await SettleAsync("training", "registry");
        report.Add($"training.requested ×3: {Distinct(Exchanges.TrainingStarted)} run started, {Distinct(Exchanges.TrainingCompleted)} completed");
        Assert.Multiple(() =>
        {
            Assert.That(Distinct(Exchanges.TrainingStarted), Is.EqualTo(1), "one run for the request");
            Assert.That(Distinct(Exchanges.TrainingCompleted), Is.EqualTo(1), "one training.completed");
            Assert.That(Deliveries(Exchanges.TrainingFailed), Is.Zero);
        });

        // training.completed ×3 more → the gate decides once: one version, one model.deployed.
        await DeliverThriceAsync(Exchanges.TrainingCompleted, trained.Body, trained.Properties.MessageId!);
        await SettleAsync("registry");
        var versions = await RegistryState.ListVersionsAsync(TrainedModels.ModelName);
        report.Add($"training.completed ×3 more: {versions.Count} version registered, {Distinct(Exchanges.ModelDeployed)} model.deployed " +
                   $"({Deliveries(Exchanges.ModelDeployed)} deliveries), {Distinct(Exchanges.ModelRejected)} model.rejected");
        Assert.Multiple(() =>
        {
            Assert.That(versions, Has.Count.EqualTo(1), "one version registered");
            Assert.That(Distinct(Exchanges.ModelDeployed), Is.EqualTo(1), "one deployment announced");
            Assert.That(Deliveries(Exchanges.ModelRejected), Is.Zero);
        });

        // model.deployed ×3 more → Inference swapped once; the copies change nothing.
        await swaps.WaitAsync(s => s.Swapped >= 1, Wait);
        await DeliverThriceAsync(Exchanges.ModelDeployed, deployedV1.Body, deployedV1.Properties.MessageId!);
        await swaps.WaitAsync(s => s.Unchanged >= 3, Wait);
        await SettleAsync("inference-swap-dup", "monitor");
        report.Add($"model.deployed ×3 more: swapped {swaps.Swapped}, unchanged {swaps.Unchanged}, refused {swaps.Refused}");
        Assert.That((swaps.Swapped, swaps.Refused), Is.EqualTo((1, 0)), "one swap");

        // market.candles ×3 → five new candles stored once, announced once, one streamed prediction for the newest.
        var last = TrainedModels.Market[^1];
        var fresh = Enumerable.Range(1, 5).Select(i => last with { OpenTime = last.OpenTime.AddMinutes(i) }).ToList();
        var windowsBefore = await SortedSetEntriesAsync();
        await DeliverThriceAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = fresh }, ContractJson.Options), "dup-candles");
        bool Streamed(JsonElement j) => RequestIdOf(j) is null
            && j.GetProperty("asOf").GetDateTimeOffset() == fresh[^1].OpenTime;
        var ingested = (await taps[Exchanges.DataIngested].WaitForCountAsync(1, Wait))[0];
        await taps[Exchanges.PredictionCompleted].WaitAsync(r => r.Any(d => Streamed(d.Json)), Wait, "the streamed prediction");
        await SettleAsync("ingest", "inference-stream", "monitor", "monitor-predictions");
        var stored = await CandleStore.CountAsync(TrainedModels.Series);
        var windowsAfterCandles = await SortedSetEntriesAsync();
        report.Add($"market.candles ×3 (5 new candles): stored +{stored - TrainedModels.Market.Count}, {Distinct(Exchanges.DataIngested)} data.ingested " +
                   $"({Deliveries(Exchanges.DataIngested)} deliveries), {Distinct(Exchanges.PredictionCompleted, Streamed)} streamed prediction, " +
                   $"Redis window entries +{windowsAfterCandles - windowsBefore}");
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(TrainedModels.Market.Count + fresh.Count), "stored once");
            Assert.That(Distinct(Exchanges.DataIngested), Is.EqualTo(1), "announced once");
            Assert.That(ingested.Json.GetProperty("candles").GetArrayLength(), Is.EqualTo(fresh.Count));
            Assert.That(Distinct(Exchanges.PredictionCompleted, Streamed), Is.EqualTo(1), "one streamed prediction");
            Assert.That(Deliveries(Exchanges.DataRejected), Is.Zero);
        });

        // data.ingested ×3 more → Inference streams no new prediction, Monitor's windows do not grow.
        await DeliverThriceAsync(Exchanges.DataIngested, ingested.Body, ingested.Properties.MessageId!);
        await SettleAsync("inference-stream", "monitor", "monitor-predictions");
        var windowsAfterIngested = await SortedSetEntriesAsync();
        report.Add($"data.ingested ×3 more: {Distinct(Exchanges.PredictionCompleted, Streamed)} streamed prediction " +
                   $"({Deliveries(Exchanges.PredictionCompleted, Streamed)} deliveries), Redis window entries +{windowsAfterIngested - windowsAfterCandles}");
        Assert.Multiple(() =>
        {
            Assert.That(Distinct(Exchanges.PredictionCompleted, Streamed), Is.EqualTo(1), "still one streamed prediction");
            Assert.That(windowsAfterIngested, Is.EqualTo(windowsAfterCandles), "the monitor's windows did not grow");
        });

        // prediction.completed ×3 more → Monitor's prediction window does not grow.
        var streamed = taps[Exchanges.PredictionCompleted].Received.First(d => Streamed(d.Json));
        await DeliverThriceAsync(Exchanges.PredictionCompleted, streamed.Body, streamed.Properties.MessageId!);
        await SettleAsync("monitor-predictions");
        var windowsAfterPredictions = await SortedSetEntriesAsync();
        report.Add($"prediction.completed ×3 more: Redis window entries +{windowsAfterPredictions - windowsAfterIngested}");
        Assert.That(windowsAfterPredictions, Is.EqualTo(windowsAfterIngested), "the monitor's prediction window did not grow");

        // prediction.requested ×3 (one requestId) → one answer.
        var predictionRequest = Guid.NewGuid();
        bool Answer(JsonElement j) => RequestIdOf(j) == predictionRequest;
        await DeliverThriceAsync(Exchanges.PredictionRequested,
            $$"""{"requestId":"{{predictionRequest}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""", predictionRequest.ToString());
        await taps[Exchanges.PredictionCompleted].WaitAsync(r => r.Any(d => Answer(d.Json)), Wait, "the answer");
        await SettleAsync("inference");
        report.Add($"prediction.requested ×3: {Distinct(Exchanges.PredictionCompleted, Answer)} answer " +
                   $"({Deliveries(Exchanges.PredictionCompleted, Answer)} deliveries of it), {Deliveries(Exchanges.PredictionFailed)} failed");
        Assert.Multiple(() =>
        {
            Assert.That(Distinct(Exchanges.PredictionCompleted, Answer), Is.EqualTo(1), "one answer");
            Assert.That(Deliveries(Exchanges.PredictionFailed), Is.Zero);
        });

        // model.promote ×3 and model.rollback ×3 → promoted once (v1 → v2), rolled back once (v2 → v1, not further).
        await RegisterTrainedModelAsync("dup-second", champion: false);
        var promote = new PromoteModel { ModelName = TrainedModels.ModelName, Version = 2, Reason = "duplicate scenario" };
        await DeliverThriceAsync(Exchanges.ModelPromote, JsonSerializer.Serialize(promote, ContractJson.Options), promote.EventId.ToString());
        await taps[Exchanges.ModelDeployed].WaitAsync(r => r.Any(d => d.Json.GetProperty("version").GetInt32() == 2), Wait, "v2 deployed");
        await SettleAsync("registry-promote");
        var afterPromote = Distinct(Exchanges.ModelDeployed);
        var rollback = new RollbackModel { ModelName = TrainedModels.ModelName, Reason = "duplicate scenario" };
        await DeliverThriceAsync(Exchanges.ModelRollback, JsonSerializer.Serialize(rollback, ContractJson.Options), rollback.EventId.ToString());
        await taps[Exchanges.ModelDeployed].WaitAsync(r => r.Any(d => d.Json.GetProperty("reason").GetString() == "rollback"), Wait, "the rollback");
        await SettleAsync("registry-rollback", "inference-swap-dup");
        var champion = await RegistryState.GetChampionAsync(TrainedModels.ModelName);
        report.Add($"model.promote ×3: {afterPromote - 1} deployment; model.rollback ×3: {Distinct(Exchanges.ModelDeployed) - afterPromote} deployment, " +
                   $"champion v{champion?.Version}; swaps {swaps.Swapped}");
        Assert.Multiple(() =>
        {
            Assert.That(afterPromote, Is.EqualTo(2), "promoted once");
            Assert.That(Distinct(Exchanges.ModelDeployed), Is.EqualTo(3), "rolled back once");
            Assert.That(champion?.Version, Is.EqualTo(1), "back to v1, not past it");
            Assert.That(swaps.Swapped, Is.EqualTo(3), "Inference swapped v1, v2, v1: once each");
        });

        var queues = new[] { "ingest", "training", "registry", "registry-promote", "registry-rollback", "inference", "inference-stream", "monitor", "monitor-predictions" };
        var letters = new Dictionary<string, int>();
        foreach (var queue in queues)
            letters[queue] = (await Amqp.DrainAsync(queue + "_error")).Count; // drained once: counted, then asserted
        report.Add($"drift.detected: no worker consumes it ({Deliveries(Exchanges.DriftDetected)} seen); dead letters: " +
                   string.Join(", ", letters.Select(l => $"{l.Key} {l.Value}")));
        TestContext.Out.WriteLine("injected: each consumed event type delivered three times (same body and message id, at once). counted:\n  "
                                  + string.Join("\n  ", report));
        ReliabilityTable.Add("duplicate delivery", "each consumed event type delivered 3 times", 3 * 9, 9, 0, letters.Values.Sum(), 0);
        Assert.That(letters.Where(l => l.Value > 0).Select(l => $"{l.Key}_error: {l.Value}"), Is.Empty, "nothing dead-lettered");
    }

    static Guid? RequestIdOf(JsonElement prediction) =>
        prediction.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetGuid() : null;

    /// <summary>Entries in every sorted set of this test's Redis prefix: candles, the monitor's windows, the registry's history.</summary>
    async Task<long> SortedSetEntriesAsync()
    {
        var server = Redis.GetServers().First();
        var db = Redis.GetDatabase();
        long total = 0;
        await foreach (var key in server.KeysAsync(pattern: $"{KeyPrefix}:*", pageSize: 1000))
        {
            if (await db.KeyTypeAsync(key) == RedisType.SortedSet)
                total += await db.SortedSetLengthAsync(key);
        }

        return total;
    }

    /// <summary>Counts <c>neuraltrade.inference.swaps</c> by outcome, as the worker's metrics export them.</summary>
    sealed class SwapCounter : IDisposable
    {
        readonly MeterListener _listener = new();
        long _swapped, _unchanged, _refused;

        public SwapCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "neuraltrade.inference.swaps")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key != "outcome")
                        continue;
                    switch (tag.Value as string)
                    {
                        case "swapped": Interlocked.Add(ref _swapped, value); break;
                        case "unchanged": Interlocked.Add(ref _unchanged, value); break;
                        case "refused": Interlocked.Add(ref _refused, value); break;
                    }
                }
            });
            _listener.Start();
        }

        public long Swapped => Interlocked.Read(ref _swapped);
        public long Unchanged => Interlocked.Read(ref _unchanged);
        public long Refused => Interlocked.Read(ref _refused);

        public async Task WaitAsync(Func<SwapCounter, bool> condition, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (!condition(this))
            {
                if (DateTime.UtcNow > until)
                    Assert.Fail($"swaps: swapped {Swapped}, unchanged {Unchanged}, refused {Refused}");
                await Task.Delay(50);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
