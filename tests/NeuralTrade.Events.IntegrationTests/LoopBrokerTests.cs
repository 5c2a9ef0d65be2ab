using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>Training, Registry and Inference as separate hosts on one real broker and Redis: request → trained → gated → swapped → answered.</summary>
[Category(TestCategories.Numerics)]
public sealed class LoopBrokerTests : BrokerTest
{
    [Test]
    public async Task A_training_request_from_a_plain_client_ends_in_predictions_from_the_new_champion()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var shared = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Training:PollIntervalMs"] = "100" };
        await StartHostAsync(b => b.AddTrainingWorker(), shared);
        await StartHostAsync(b => b.AddRegistryWorker(), shared);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>(shared) { ["Inference:InstanceId"] = "loop" });
        var deployed = await Amqp.TapAsync(Exchanges.ModelDeployed);
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        var failures = await Amqp.TapAsync(Exchanges.PredictionFailed);

        var early = Guid.NewGuid();
        await Amqp.PublishAsync(Exchanges.PredictionRequested,
            $$"""{"requestId":"{{early}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""");
        var noModel = (await failures.WaitForCountAsync(1)).Single().Json;
        Assert.That((noModel.GetProperty("requestId").GetGuid(), noModel.GetProperty("code").GetString()), Is.EqualTo((early, "no_model")));

        await Amqp.PublishAsync(Exchanges.TrainingRequested, $$$"""
            {"requestId":"{{{Guid.NewGuid()}}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m","reason":"manual",
             "hyperparameters":{{{TrainedModels.TinyJson()}}}}
            """);
        var model = (await deployed.WaitForCountAsync(1, TimeSpan.FromSeconds(180))).Single().Json;
        Assert.That((model.GetProperty("version").GetInt32(), model.GetProperty("reason").GetString()), Is.EqualTo((1, "gate")));

        // The swap happens on the instance's own queue right after; ask until the answer names the new version.
        var late = Guid.NewGuid();
        for (var i = 0; i < 50 && !answers.Received.Any(d => d.Json.GetProperty("requestId").GetGuid() == late); i++)
        {
            late = Guid.NewGuid();
            await Amqp.PublishAsync(Exchanges.PredictionRequested,
                $$"""{"requestId":"{{late}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""");
            await Task.Delay(200);
        }

        var answer = answers.Received.Single(d => d.Json.GetProperty("requestId").GetGuid() == late).Json;
        Assert.That(answer.GetProperty("model").GetProperty("version").GetInt32(), Is.EqualTo(1));
        Assert.That(answer.GetProperty("asOf").GetString(), Is.EqualTo(TrainedModels.Market[^1].OpenTime.ToString("yyyy-MM-ddTHH:mm:ssZ")));
    }

    [Test]
    public async Task Drift_asks_for_retraining_the_gate_promotes_the_new_model_and_monitor_and_inference_follow_it()
    {
        // A calm market the champion knew, then a regime it never saw: a market with a learnable pattern (PlantedMarket),
        // continuing the same series in time and price. The store holds every candle, as after Ingest; the monitor is
        // replayed their data.ingested in order. The champion (v1) is a small untrained model with the calm baseline.
        var series = DriftMarket.Series;
        var calm = DriftMarket.Generate(3_000, seed: 11);
        var scale = calm[^1].Close / 100m;
        var planted = PlantedMarket.Generate(2_500, seed: 11).Select((c, i) => c with
        {
            Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval, OpenTime = calm[^1].OpenTime.AddMinutes(1 + i),
            Open = c.Open * scale, High = c.High * scale, Low = c.Low * scale, Close = c.Close * scale,
        }).ToList();
        var market = calm.Concat(planted).ToList();
        await CandleStore.AppendAsync(series, market, null);
        var modelName = ModelNames.For(series);
        var registry = new RedisModelRegistryStore(Redis, new RedisKeys(KeyPrefix));
        // Labelled as its recipe (the Tiny one) labels: a drift retrain repeats that recipe, and the gate refuses a candidate of another target.
        await DriftChampions.PromoteAsync(registry, ScratchDirectory, series, 1,
            DriftChampions.Manifest(modelName, DriftMarket.BaselineOf(calm, 3_000), labels: TrainedModels.Tiny.Labels));

        var shared = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Training:PollIntervalMs"] = "100" };
        await StartHostAsync(b => b.AddMonitorWorker(), new Dictionary<string, string?>(shared)
        {
            ["Monitor:RetrainLookback"] = "06:00:00", ["Monitor:RetrainCooldownCandles"] = "10080",
        });
        await StartHostAsync(b => b.AddTrainingWorker(), shared);
        await StartHostAsync(b => b.AddRegistryWorker(), shared);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>(shared) { ["Inference:InstanceId"] = "drift-loop" });
        var drift = await Amqp.TapAsync(Exchanges.DriftDetected);
        var requested = await Amqp.TapAsync(Exchanges.TrainingRequested);
        var completed = await Amqp.TapAsync(Exchanges.TrainingCompleted);
        var deployed = await Amqp.TapAsync(Exchanges.ModelDeployed);
        var rejected = await Amqp.TapAsync(Exchanges.ModelRejected);
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);

        async Task ReplayAsync(IEnumerable<Candle> candles, int batch)
        {
            foreach (var chunk in candles.Chunk(batch))
            {
                var ingested = new DataIngested
                {
                    Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval, Candles = chunk,
                    FirstOpenTime = chunk[0].OpenTime, LastOpenTime = chunk[^1].OpenTime,
                };
                await Amqp.PublishAsync(Exchanges.DataIngested, JsonSerializer.Serialize(ingested, ContractJson.Options), ingested.EventId.ToString());
            }
        }

        await ReplayAsync(calm, 3_000);
        await ReplayAsync(planted.Take(2_000), 20);

        var request = (await requested.WaitAsync(r => r.Any(d => d.Json.GetProperty("reason").GetString() == "drift"), TimeSpan.FromSeconds(120),
            "a drift retrain")).First().Json;
        var alert = drift.Received.Select(d => d.Json).First(j => j.GetProperty("action").ValueKind == JsonValueKind.String
            && j.GetProperty("action").GetString() == DriftMonitor.RetrainAction);
        Assert.That((alert.GetProperty("severity").GetString(), alert.GetProperty("model").GetProperty("version").GetInt32()), Is.EqualTo(("high", 1)));
        Assert.That(request.GetProperty("hyperparameters").GetProperty("windowSize").GetInt32(), Is.EqualTo(TrainedModels.Tiny.WindowSize));

        var requestId = request.GetProperty("requestId").GetString();
        var trained = (await completed.WaitAsync(r => r.Any(d => d.Json.GetProperty("requestId").GetString() == requestId), TimeSpan.FromSeconds(240),
            "the retrain")).First(d => d.Json.GetProperty("requestId").GetString() == requestId).Json;
        var decision = await deployed.WaitAsync(r => r.Any(d => d.Json.GetProperty("version").GetInt32() == 2), TimeSpan.FromSeconds(60),
            $"v2 deployed (rejections: {string.Join("; ", rejected.Received.Select(d => d.Json.GetProperty("reason").GetString()))})");
        var v2 = decision.First(d => d.Json.GetProperty("version").GetInt32() == 2).Json;
        Assert.That((v2.GetProperty("runId").GetString(), v2.GetProperty("previousVersion").GetInt32()),
            Is.EqualTo((trained.GetProperty("runId").GetString(), 1)));

        // The rest of the new regime arrives after the deployment: the monitor now measures it against v2's baseline.
        await ReplayAsync(planted.Skip(2_000), 20);
        var stateOfV2 = MonitorKeys.State(series, modelName, 2);
        var windows = new RedisMonitorStore(Redis, new RedisKeys(KeyPrefix));
        for (var i = 0; i < 240 && !(await windows.ReadStateAsync(stateOfV2)).ContainsKey(DriftMonitor.CheckedField); i++)
            await Task.Delay(250);
        Assert.That((await windows.ReadStateAsync(stateOfV2)).ContainsKey(DriftMonitor.CheckedField), Is.True, "the monitor checked against v2");
        await Management.WaitForQueueEmptyAsync(VirtualHost, "monitor", TimeSpan.FromSeconds(120));
        Assert.That(drift.Received.Select(d => d.Json).Where(j => j.GetProperty("model").GetProperty("version").GetInt32() == 2
            && j.GetProperty("severity").GetString() == "high"), Is.Empty, "the new regime is v2's normal");

        // And Inference swapped: a request is answered by v2.
        var late = Guid.NewGuid();
        for (var i = 0; i < 50 && !answers.Received.Any(d => d.Json.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String
                 && r.GetGuid() == late && d.Json.GetProperty("model").GetProperty("version").GetInt32() == 2); i++)
        {
            late = Guid.NewGuid();
            await Amqp.PublishAsync(Exchanges.PredictionRequested, $$"""{"requestId":"{{late}}","exchange":"sim","symbol":"DRIFT/USD","interval":"1m"}""");
            await Task.Delay(200);
        }

        Assert.That(answers.Received.Any(d => d.Json.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String && r.GetGuid() == late
            && d.Json.GetProperty("model").GetProperty("version").GetInt32() == 2), Is.True, "inference answers with v2");
        Assert.That(requested.Received.Count(d => d.Json.GetProperty("reason").GetString() == "drift"), Is.EqualTo(1), "one retrain per cooldown");
    }
}
