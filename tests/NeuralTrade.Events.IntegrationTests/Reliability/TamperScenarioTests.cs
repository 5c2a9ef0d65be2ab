using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "tampered artifact": an Inference process serves v1 under a steady stream of requests. Two
/// forged deployments of v2 arrive — the artifact file altered (the announced digest is the genuine one), and a genuine
/// file announced with a forged digest — and neither matches the Registry's record; then a version the Registry did
/// record is promoted, but its file was altered in the run store afterwards; then v2 is promoted and deployed genuinely.
/// All three are refused and reported (dead letter with the reason, the swap metric, an error log) while v1 keeps
/// answering; the genuine one is taken. No request fails or is lost.
/// </summary>
[Category("Reliability")]
public sealed class TamperScenarioTests : BrokerTest
{
    [Test]
    public async Task Tampered_artifacts_under_load_are_refused_and_reported_while_the_champion_keeps_serving()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var v1 = await RegisterTrainedModelAsync("tamper-v1", champion: true);
        var v2 = await RegisterTrainedModelAsync("tamper-v2", champion: false);
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Tracking__LocalDirectory"] = ScratchDirectory, ["Inference__InstanceId"] = "tamper",
        };
        var logs = Path.Combine(ScratchDirectory, "logs");
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        var failures = await Amqp.TapAsync(Exchanges.PredictionFailed);
        await using var worker = await WorkerProcess.StartAsync("Inference", environment, logs);

        // The altered file: v2's artifact with one byte flipped in the middle (the weights), announced with v2's genuine digest.
        var genuine = await File.ReadAllBytesAsync(new Uri(v2.Artifact.Uri).LocalPath);
        var altered = (byte[])genuine.Clone();
        altered[altered.Length / 2] ^= 0x5A;
        var alteredPath = Path.Combine(ScratchDirectory, "tamper-v2-altered" + ModelArtifact.FileExtension);
        await File.WriteAllBytesAsync(alteredPath, altered);
        string Deployed(ArtifactRef artifact) => JsonSerializer.Serialize(new ModelDeployed
        {
            ModelName = v2.ModelName, Version = v2.Version, RunId = v2.RunId, Artifact = artifact, Metrics = v2.Metrics, PreviousVersion = v1.Version,
        }, ContractJson.Options);
        // What an attacker on the model.deployed exchange can send (refused: not what the Registry recorded), and what an
        // attacker who altered a file in the run store after the Registry recorded it causes (refused: digest mismatch).
        var alteredRecord = v2.Artifact with { Uri = new Uri(alteredPath).AbsoluteUri };
        var injections = new (string What, Func<Task<string>> Body)[]
        {
            ("forged: artifact altered on disk, genuine digest", () => Task.FromResult(Deployed(alteredRecord))),
            ("forged: genuine artifact, forged digest", () => Task.FromResult(Deployed(v2.Artifact with { Sha256 = ModelArtifact.Sha256(altered) }))),
            ("recorded champion whose file was altered in the run store", async () =>
            {
                var v3 = await RegistryState.AddVersionAsync(v2 with { Version = 0, RunId = "tamper-v3", Artifact = alteredRecord });
                await RegistryState.PromoteAsync(v3.ModelName, v3.Version);
                return JsonSerializer.Serialize(new ModelDeployed
                {
                    ModelName = v3.ModelName, Version = v3.Version, RunId = v3.RunId, Artifact = v3.Artifact, Metrics = v3.Metrics, PreviousVersion = v1.Version,
                }, ContractJson.Options);
            }),
        };

        const int requests = 400;
        var ids = Enumerable.Range(0, requests).Select(_ => Guid.NewGuid()).ToList();
        var clock = Stopwatch.StartNew();
        var feed = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await Amqp.PublishAsync(Exchanges.PredictionRequested,
                    $$"""{"requestId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""", id.ToString());
                await Task.Delay(15);
            }
        });

        var timeline = new List<string>();
        foreach (var (what, body) in injections)
        {
            await Task.Delay(1_500);
            await Amqp.PublishAsync(Exchanges.ModelDeployed, await body());
            timeline.Add($"{what} at {clock.Elapsed.TotalSeconds:F1} s");
        }

        await Task.Delay(1_500);
        var genuineAt = clock.Elapsed;
        var answeredBeforeGenuine = answers.Received.Count;
        await RegistryState.PromoteAsync(v2.ModelName, v2.Version); // the Registry records its decision, then announces it
        await Amqp.PublishAsync(Exchanges.ModelDeployed, Deployed(v2.Artifact));
        timeline.Add($"genuine v2 at {genuineAt.TotalSeconds:F1} s");
        await feed;

        HashSet<Guid> Answered() => answers.Received.Concat(failures.Received)
            .Select(d => d.Json.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetGuid() : Guid.Empty).ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (!ids.All(Answered().Contains) && deadline.Elapsed < TimeSpan.FromMinutes(1))
            await Task.Delay(200);

        var dead = await Amqp.DrainAsync("inference-swap-tamper_error");
        var refusedMetric = await InferenceMetrics.SwapsAsync(worker.Port, "refused");
        var versions = answers.Received.Select(d => d.Json.GetProperty("model").GetProperty("version").GetInt32()).ToList();
        var byVersion = versions.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"v{g.Key}: {g.Count()}");
        var beforeGenuine = versions.Take(answeredBeforeGenuine).ToList();
        var unanswered = ids.Count(id => !Answered().Contains(id));
        TestContext.Out.WriteLine($"injected: {requests} requests, one every 15 ms; model.deployed: {string.Join("; ", timeline)}. counted: answered " +
            $"{requests - unanswered}/{requests} ({string.Join(", ", byVersion)}), prediction.failed {failures.Received.Count}, dead-lettered deployments " +
            $"{dead.Count} ({string.Join(" | ", dead.Select(d => d.Header("MT-Fault-Message")))}), swaps refused (metric) {refusedMetric}");
        ReliabilityTable.Add("tampered deployments (requests)", "3 forged model.deployed under load", requests, requests - unanswered - failures.Received.Count,
            0, 0, unanswered);
        ReliabilityTable.Add("tampered deployments (forged notices)", "dead-lettered with the reason, never served", 3, 0, 0, dead.Count, 3 - dead.Count);

        Assert.Multiple(() =>
        {
            Assert.That(unanswered, Is.Zero, "every request answered");
            Assert.That(failures.Received, Is.Empty, "no request failed");
            Assert.That(beforeGenuine, Is.All.EqualTo(v1.Version), "v1 answered everything until the genuine v2");
            Assert.That(versions[^1], Is.EqualTo(v2.Version), "the genuine v2 was taken");
            Assert.That(dead, Has.Count.EqualTo(3), "every tampered deployment dead-lettered");
            Assert.That(dead.Select(d => d.Header("MT-Fault-Message")), Is.All.Contain("refused"));
            Assert.That(dead.Take(2).Select(d => d.Header("MT-Fault-Message")), Is.All.Contain("is not the one the Registry recorded"));
            Assert.That(dead[2].Header("MT-Fault-Message"), Does.Contain("SHA-256").And.Contain("keeps serving"));
            Assert.That(refusedMetric, Is.EqualTo(3), "neuraltrade.inference.swaps{outcome=refused} counts all three");
            Assert.That(worker.HasExited, Is.False);
        });
    }
}
