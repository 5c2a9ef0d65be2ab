using System.Net.Http.Json;
using System.Text.Json.Nodes;
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
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Registry;

namespace NeuralTrade.Events.Tests;

/// <summary>The Registry worker's gate, registry state and commands on the in-memory harness, with real (small) models.</summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class RegistryWorkerTests : WorkerHarnessFixture
{
    InMemoryModelRegistryStore _registry = null!;

    IModelRegistryStore Registry => _registry;

    protected override string ServiceName => "registry-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddRegistryWorker();

    [SetUp]
    public async Task Start()
    {
        await StartMlflowAsync();
        _registry = new InMemoryModelRegistryStore(); // outlives a host, as Redis would
    }

    async Task StartAsync(Dictionary<string, string?>? settings = null, bool mlflow = false)
    {
        IEnumerable<KeyValuePair<string, string?>> all =
            [new("Tracking:MlflowUri", mlflow ? Mlflow.Uri : null), .. TrainedModels.GateForTests, .. settings ?? []];
        // a decision is quiet on the bus while it scores two models
        Build(all, s => s.AddSingleton<IModelRegistryStore>(_registry), inactivity: TimeSpan.FromSeconds(30));
        await Get<ICandleStore>().AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await Host.StartAsync();
    }

    Task<T> Published<T>(Func<T, bool> match) where T : class => Harness.PublishedSingle(match);

    [Test]
    public async Task First_model_that_passes_the_floors_is_promoted_and_recorded_as_champion()
    {
        await StartAsync();
        var candidate = TrainedModels.Completed(Scratch, "run-a");

        await Harness.Bus.Publish(candidate);

        var deployed = await Published<ModelDeployed>(d => d.RunId == "run-a");
        Assert.That((deployed.ModelName, deployed.Version, deployed.PreviousVersion, deployed.Reason), Is.EqualTo((TrainedModels.ModelName, 1, (int?)null, "gate")));
        Assert.That(deployed.Artifact, Is.EqualTo(candidate.Artifact));
        Assert.That(deployed.CorrelationId, Is.EqualTo(candidate.CorrelationId));
        Assert.That(deployed.Metrics["gate_macro_f1"], Is.GreaterThan(deployed.Metrics["gate_baseline_majority_macro_f1"]), "it beat the majority class on the window");
        Assert.That(deployed.Metrics["gate_samples"], Is.GreaterThanOrEqualTo(100), "the window's labelled windows, all outside the training and validation data");
        var champion = await Registry.GetChampionAsync(TrainedModels.ModelName);
        Assert.That((champion!.Version, champion.RunId, champion.Registry), Is.EqualTo((1, "run-a", RegisteredVersion.Local)));
    }

    [Test]
    public async Task The_gate_figures_and_decision_land_on_the_candidates_local_run_promoted_or_rejected()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0.5" });
        // Two finished local runs, as Training leaves them; the candidates name them, as its training.completed does.
        var tracker = Get<RunTracker>();
        var ids = new List<string>();
        foreach (var name in new[] { "local-a", "local-b" })
        {
            var run = await tracker.StartRunAsync(TrainedModels.ModelName, name, new Dictionary<string, string>());
            await run.EndAsync(succeeded: true);
            ids.Add(run.RunId);
        }

        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, ids[0]!));
        var deployed = await Published<ModelDeployed>(d => d.RunId == ids[0]);
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, ids[1]!));
        var rejected = await Published<ModelRejected>(r => r.RunId == ids[1]);

        foreach (var (id, decision, metrics) in new (string, string, IReadOnlyDictionary<string, double>)[] { (ids[0]!, "promoted", deployed.Metrics), (ids[1]!, "rejected", rejected.CandidateMetrics.ToDictionary(m => "gate_" + m.Key, m => m.Value)) })
        {
            var directory = Path.Combine(Scratch, TrainedModels.ModelName, id);
            var tags = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "run.json")))!["tags"]!;
            Assert.That(tags["neuraltrade.gate.decision"]!.GetValue<string>(), Is.EqualTo(decision), id);
            var logged = (await File.ReadAllLinesAsync(Path.Combine(directory, "metrics.jsonl"))).Select(l => JsonNode.Parse(l)!)
                .ToDictionary(m => m["key"]!.GetValue<string>(), m => m["value"]!.GetValue<double>());
            Assert.That(logged["gate_macro_f1"], Is.EqualTo(metrics["gate_macro_f1"]), id);
            Assert.That(logged["gate_samples"], Is.EqualTo(metrics["gate_samples"]), id);
        }

        Assert.That(rejected.Reason, Does.Contain("does not beat the champion"));
        Assert.That(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scratch, TrainedModels.ModelName, ids[1]!, "run.json")))!["tags"]!
            ["neuraltrade.gate.reason"]!.GetValue<string>(), Is.EqualTo(rejected.Reason));
    }

    [Test]
    public async Task Candidate_as_good_as_the_champion_replaces_it_when_the_margin_is_zero()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0" });
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-a"));
        await Published<ModelDeployed>(d => d.RunId == "run-a");

        // The same weights again: equal on the window, so with margin 0 it is promoted over the champion.
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-b"));

        var second = await Published<ModelDeployed>(d => d.RunId == "run-b");
        Assert.That((second.Version, second.PreviousVersion), Is.EqualTo((2, (int?)1)));
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.RunId, Is.EqualTo("run-b"));
    }

    [Test]
    public async Task Candidate_that_does_not_beat_the_champion_by_the_margin_on_the_same_window_is_rejected()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0.5" });
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-a"));
        await Published<ModelDeployed>(d => d.RunId == "run-a"); // the first model only needs the floors

        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-c"));

        var rejected = await Published<ModelRejected>(r => r.RunId == "run-c");
        Assert.That(rejected.Reason, Does.Contain("does not beat the champion's").And.Contain("at least 0.5"));
        Assert.That(rejected.CandidateMetrics["macro_f1"], Is.EqualTo(rejected.ChampionMetrics["macro_f1"]).Within(1e-12),
            "the same weights scored on the same window score the same");
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.RunId, Is.EqualTo("run-a"));
        Assert.That(await Registry.ListVersionsAsync(TrainedModels.ModelName), Has.Count.EqualTo(1), "a rejected candidate is not registered");
    }

    [Test]
    public async Task Candidate_below_a_floor_is_rejected_with_its_metrics()
    {
        await StartAsync(new() { ["Registry:Floors:macro_f1"] = "0.99" });
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-a"));

        var rejected = await Published<ModelRejected>(r => r.RunId == "run-a");

        Assert.That(rejected.Reason, Does.StartWith("macro_f1").And.Contain("does not reach the floor 0.99"));
        Assert.That(rejected.CandidateMetrics.Keys, Is.SupersetOf(new[] { "macro_f1", "accuracy", "backtest_sharpe", "samples" }));
        Assert.That(rejected.ChampionMetrics, Is.Empty);
        Assert.That(await Registry.GetChampionAsync(TrainedModels.ModelName), Is.Null);
    }

    [Test]
    public async Task Artifact_whose_digest_does_not_match_is_refused_not_retried()
    {
        await StartAsync();
        var tampered = TrainedModels.Outcome.Artifact.ToArray();
        tampered[^10] ^= 0xFF;
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-x", tampered, claimedSha256: TrainedModels.Outcome.Sha256));

        var rejected = await Published<ModelRejected>(r => r.RunId == "run-x");

        Assert.That(rejected.Reason, Does.StartWith("artifact refused").And.Contain(TrainedModels.Outcome.Sha256));
        Assert.That(Harness.PublishedNow<Fault<TrainingCompleted>>(), Is.Empty);
        Assert.That(await Registry.GetChampionAsync(TrainedModels.ModelName), Is.Null);
    }

    [Test]
    public async Task A_candidate_announced_for_another_series_than_it_was_trained_on_is_refused()
    {
        await StartAsync();
        var other = ModelNames.For(new SeriesKey("sim", "PLANT-USD", "1m")); // once the same model name as PLANT/USD
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-y") with { ModelName = other });

        var rejected = await Published<ModelRejected>(r => r.RunId == "run-y");

        Assert.That(rejected.Reason, Does.StartWith("artifact refused").And.Contain("holds model " + TrainedModels.ModelName));
        Assert.That(await Registry.GetChampionAsync(other), Is.Null);
    }

    [Test]
    public async Task The_same_training_completed_twice_promotes_once()
    {
        await StartAsync();
        var candidate = TrainedModels.Completed(Scratch, "run-a");
        await Harness.Bus.Publish(candidate);
        await Published<ModelDeployed>(d => d.RunId == "run-a");

        await Harness.Bus.Publish(candidate with { EventId = Guid.NewGuid() });
        Assert.That(await Harness.Consumed.Any<TrainingCompleted>(c => c.Context.Message.EventId != candidate.EventId), Is.True);
        await Task.Delay(200);

        Assert.That(await Registry.ListVersionsAsync(TrainedModels.ModelName), Has.Count.EqualTo(1));
        Assert.That(Harness.PublishedNow<ModelDeployed>().Select(d => d.EventId).Distinct().Count(), Is.EqualTo(1),
            "announced again with the same event id, so consumers see one deployment");
    }

    [Test]
    public async Task Rollback_returns_to_the_previous_champion_once_and_promote_moves_it_forward()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0" });
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-a"));
        await Published<ModelDeployed>(d => d.RunId == "run-a");
        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, "run-b"));
        await Published<ModelDeployed>(d => d.RunId == "run-b");

        var rollback = new RollbackModel { ModelName = TrainedModels.ModelName, Reason = "test" };
        await Harness.Bus.Publish(rollback);
        var back = await Published<ModelDeployed>(d => d.Reason == "rollback");
        Assert.That((back.Version, back.PreviousVersion, back.CorrelationId), Is.EqualTo((1, (int?)2, rollback.CorrelationId)));

        await Harness.Bus.Publish(rollback); // redelivered: must not roll back further
        Assert.That(await Harness.Consumed.Any<RollbackModel>(c => c.Context.Message.EventId == rollback.EventId), Is.True);
        await Task.Delay(300);
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(1));

        await Harness.Bus.Publish(new PromoteModel { ModelName = TrainedModels.ModelName, Version = 2, Reason = "test" });
        var forward = await Published<ModelDeployed>(d => d.Reason == "promote");
        Assert.That((forward.Version, forward.PreviousVersion), Is.EqualTo((2, (int?)1)));
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(2));
    }

    [Test]
    public async Task Promoting_an_unknown_version_is_dead_lettered_at_once_with_the_reason()
    {
        await StartAsync();
        await Harness.Bus.Publish(new PromoteModel { ModelName = TrainedModels.ModelName, Version = 9 });

        var fault = await Published<Fault<PromoteModel>>(_ => true);

        Assert.That(fault.Exceptions.Single().Message, Does.Contain("has no version 9"));
        Assert.That(Harness.PublishedNow<ModelDeployed>(), Is.Empty);
    }

    [Test]
    public async Task A_run_tracked_in_mlflow_is_registered_there_and_gets_the_champion_alias()
    {
        await StartAsync(mlflow: true);
        Mlflow.PendingPolls = 1; // MLflow may answer PENDING_REGISTRATION first
        var client = Get<MlflowClient>();
        var experiment = await client.GetOrCreateExperimentAsync(TrainedModels.ModelName);
        var run = await client.CreateRunAsync(experiment, "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        var bytes = TrainedModels.Outcome.Artifact;
        var uri = await client.UploadArtifactAsync(run.ArtifactUri, $"model/{TrainedModels.ModelName}.ntm", bytes);
        var candidate = TrainedModels.Completed(Scratch, run.RunId) with { Artifact = new ArtifactRef(uri, ModelArtifact.Sha256(bytes), bytes.LongLength) };

        await Harness.Bus.Publish(candidate);

        var deployed = await Published<ModelDeployed>(d => d.RunId == run.RunId);
        var model = Mlflow.Models[TrainedModels.ModelName];
        Assert.That(model.Versions.Single(), Is.EqualTo((1, $"mlflow-artifacts:/{experiment}/{run.RunId}/artifacts/model", (string?)run.RunId)));
        Assert.That(model.Aliases["champion"], Is.EqualTo(1));
        Assert.That(deployed.Version, Is.EqualTo(1));
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Registry, Is.EqualTo(RegisteredVersion.Mlflow));
    }

    [Test]
    public async Task The_champion_alias_resolves_to_the_runs_MLflow_model_directory()
    {
        await StartAsync(mlflow: true);
        var client = Get<MlflowClient>();
        var experiment = await client.GetOrCreateExperimentAsync(TrainedModels.ModelName);
        var run = await client.CreateRunAsync(experiment, "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        // As Training logs a run: the .ntm, and beside it the MLflow model directory built from it.
        var bytes = TrainedModels.Outcome.Artifact;
        var uri = await client.UploadArtifactAsync(run.ArtifactUri, $"model/{TrainedModels.ModelName}.ntm", bytes);
        using (var loaded = ModelArtifact.Read(bytes, expectedSha256: null))
        {
            foreach (var file in MlflowModel.Build(loaded, TrainedModels.Outcome.InputExample!, run.RunId, DateTimeOffset.UtcNow, Guid.NewGuid()))
                await client.UploadArtifactAsync(run.ArtifactUri, $"{MlflowModel.ArtifactPath}/{file.Path}", file.Content);
        }

        await Harness.Bus.Publish(TrainedModels.Completed(Scratch, run.RunId) with { Artifact = new ArtifactRef(uri, ModelArtifact.Sha256(bytes), bytes.LongLength) });
        var deployed = await Published<ModelDeployed>(d => d.RunId == run.RunId);

        // The figures the gate decided on are the event's, the run's and the version's: one set of numbers everywhere.
        var recorded = Mlflow.Runs[run.RunId];
        Assert.That(recorded.Tags["neuraltrade.gate.decision"], Is.EqualTo("promoted"));
        Assert.That(recorded.Tags["neuraltrade.gate.reason"], Does.StartWith("first model:"));
        foreach (var key in new[] { "gate_macro_f1", "gate_accuracy", "gate_samples" })
            Assert.That(recorded.Metrics[key].Single().Value, Is.EqualTo(deployed.Metrics[key]), key);
        var versionTags = Mlflow.Models[TrainedModels.ModelName].VersionTags[deployed.Version];
        Assert.That(versionTags["neuraltrade.gate.decision"], Is.EqualTo("promoted"));
        Assert.That(versionTags["neuraltrade.gate.reason"], Is.EqualTo(recorded.Tags["neuraltrade.gate.reason"]));
        Assert.That(double.Parse(versionTags["gate_macro_f1"], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(deployed.Metrics["gate_macro_f1"]));
        Assert.That(versionTags["sha256"], Is.EqualTo(ModelArtifact.Sha256(bytes)));

        // models:/<name>@champion as MLflow's client resolves it: the alias's version, that version's download URI, the files under it.
        using var http = new HttpClient { BaseAddress = new Uri(Mlflow.Uri) };
        var name = Uri.EscapeDataString(TrainedModels.ModelName);
        var version = (await http.GetFromJsonAsync<JsonNode>($"/api/2.0/mlflow/registered-models/alias?name={name}&alias=champion"))!
            ["model_version"]!["version"]!.GetValue<string>();
        var source = (await http.GetFromJsonAsync<JsonNode>($"/api/2.0/mlflow/model-versions/get-download-uri?name={name}&version={version}"))!
            ["artifact_uri"]!.GetValue<string>();
        Assert.That(source, Is.EqualTo($"{run.ArtifactUri}/{MlflowModel.ArtifactPath}"));
        var root = source["mlflow-artifacts:/".Length..];
        var files = await ListArtifactsAsync(http, root, "");
        Assert.That(files, Is.SupersetOf(new[]
        {
            "MLmodel", "code/neuraltrade_signal.py", "data/config.json", "data/state_dict.pt", "input_example.json", "serving_input_example.json",
            "python_env.yaml", "conda.yaml", "requirements.txt", $"{TrainedModels.ModelName}{ModelArtifact.FileExtension}",
        }));
        var mlmodel = await http.GetStringAsync($"/api/2.0/mlflow-artifacts/artifacts/{root}/MLmodel");
        Assert.That(mlmodel, Does.Match($"(?m)^run_id: '?{run.RunId}'?$").And.Contain("loader_module: neuraltrade_signal"));
    }

    /// <summary>Every file under <paramref name="root"/>, relative to it, listed as MLflow's client walks a directory.</summary>
    static async Task<List<string>> ListArtifactsAsync(HttpClient http, string root, string relative)
    {
        var path = relative.Length == 0 ? root : $"{root}/{relative}";
        var listing = await http.GetFromJsonAsync<JsonNode>($"/api/2.0/mlflow-artifacts/artifacts?path={Uri.EscapeDataString(path)}");
        var result = new List<string>();
        foreach (var file in listing!["files"]?.AsArray() ?? [])
        {
            var child = relative.Length == 0 ? file!["path"]!.GetValue<string>() : $"{relative}/{file!["path"]!.GetValue<string>()}";
            if (file["is_dir"]!.GetValue<bool>())
                result.AddRange(await ListArtifactsAsync(http, root, child));
            else
                result.Add(child);
        }

        return result;
    }

    async Task<TrainingCompleted> CandidateInMlflowAsync(string runName)
    {
        var client = Get<MlflowClient>();
        var experiment = await client.GetOrCreateExperimentAsync(TrainedModels.ModelName);
        var run = await client.CreateRunAsync(experiment, runName, DateTimeOffset.UtcNow, new Dictionary<string, string>());
        var bytes = TrainedModels.Outcome.Artifact;
        var uri = await client.UploadArtifactAsync(run.ArtifactUri, $"model/{TrainedModels.ModelName}.ntm", bytes);
        return TrainedModels.Completed(Scratch, run.RunId) with { Artifact = new ArtifactRef(uri, ModelArtifact.Sha256(bytes), bytes.LongLength) };
    }

    [TestCase(ModelDecisions.AfterMlflowVersion)]
    [TestCase(ModelDecisions.AfterRegister)]
    [TestCase(ModelDecisions.AfterPromote)]
    [TestCase(ModelDecisions.AfterAlias)]
    public async Task A_promotion_interrupted_after_any_step_is_finished_once_by_the_redelivery(string point)
    {
        await StartAsync(mlflow: true);
        var candidate = await CandidateInMlflowAsync("r");
        var decisions = Get<ModelDecisions>();

        using (FaultPoints.ThrowAt(point))
            Assert.ThrowsAsync<InjectedFaultException>(() => decisions.DecideAsync(candidate, CancellationToken.None), "the worker dies at " + point);
        var redelivered = await decisions.DecideAsync(candidate, CancellationToken.None);
        var again = await decisions.DecideAsync(candidate, CancellationToken.None);

        var model = Mlflow.Models[TrainedModels.ModelName];
        var deployed = redelivered as ModelDeployed;
        Assert.Multiple(async () =>
        {
            Assert.That(deployed, Is.Not.Null, "the redelivery announces the promotion");
            Assert.That((deployed!.Version, deployed.PreviousVersion), Is.EqualTo((1, (int?)null)));
            Assert.That((again as ModelDeployed)?.EventId, Is.EqualTo(deployed.EventId), "a further redelivery announces the same event");
            Assert.That(model.Versions, Has.Count.EqualTo(1), "registered in MLflow once");
            Assert.That(model.Aliases["champion"], Is.EqualTo(1));
            Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(1), "the champion of record is the promoted version");
            Assert.That(await Registry.ListVersionsAsync(TrainedModels.ModelName), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_replayed_promotion_never_undoes_a_later_rollback()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0" });
        var decisions = Get<ModelDecisions>();
        var first = TrainedModels.Completed(Scratch, "run-a");
        var second = TrainedModels.Completed(Scratch, "run-b");
        Assert.That(await decisions.DecideAsync(first, CancellationToken.None), Is.TypeOf<ModelDeployed>());
        Assert.That(await decisions.DecideAsync(second, CancellationToken.None), Is.TypeOf<ModelDeployed>());
        await decisions.RollbackAsync(new RollbackModel { ModelName = TrainedModels.ModelName }, CancellationToken.None);

        var replayed = await decisions.DecideAsync(second, CancellationToken.None);

        Assert.That(replayed, Is.Null, "nothing to announce: the champion moved on after that promotion");
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(1), "the rollback stands");
    }

    [Test]
    public async Task A_rollback_without_an_event_id_redelivered_rolls_back_once()
    {
        await StartAsync(new() { ["Registry:Margin"] = "0" });
        foreach (var run in new[] { "run-a", "run-b", "run-c" })
        {
            await Harness.Bus.Publish(TrainedModels.Completed(Scratch, run));
            await Published<ModelDeployed>(d => d.RunId == run);
        }

        // The same body twice (as a redelivery brings it), with no eventId: keyed by sender, message id and body.
        var decisions = Get<ModelDecisions>();
        var command = new RollbackModel { ModelName = TrainedModels.ModelName };
        var key = MessageKeys.Of("", "", System.Text.Encoding.UTF8.GetBytes($$"""{"modelName":"{{TrainedModels.ModelName}}"}"""));
        var once = await decisions.RollbackAsync(command with { EventId = Guid.NewGuid() }, key, CancellationToken.None);
        var twice = await decisions.RollbackAsync(command with { EventId = Guid.NewGuid() }, key, CancellationToken.None);

        Assert.That((once.Version, twice.Version, twice.EventId), Is.EqualTo((2, 2, once.EventId)));
        Assert.That((await Registry.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(2), "v3 → v2, not on to v1");
    }
}
