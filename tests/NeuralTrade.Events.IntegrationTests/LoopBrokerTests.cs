using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>Training, Registry and Inference as separate hosts on one real broker and Redis: request → trained → gated → swapped → answered.</summary>
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
             "hyperparameters":{"windowSize":20,"hiddenSize":16,"numLayers":1,"epochs":12,"learningRate":0.003,"minSamples":100,
                                "fixedThreshold":0.006,"volatilityScale":0,"seed":7}}
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
}
