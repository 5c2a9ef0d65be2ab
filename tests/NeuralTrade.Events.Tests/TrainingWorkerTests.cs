using System.Text.Json;
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
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.Tests;

/// <summary>The Training worker's own wiring on the in-memory harness, with the in-process MLflow server.</summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class TrainingWorkerTests : WorkerHarnessFixture
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");
    static readonly Dictionary<string, JsonElement> Tiny = new()
    {
        ["windowSize"] = J("16"), ["hiddenSize"] = J("8"), ["numLayers"] = J("1"), ["epochs"] = J("3"), ["minSamples"] = J("100"),
        ["fixedThreshold"] = J("0.006"), ["volatilityScale"] = J("0"), ["batchSize"] = J("64"),
    };

    protected override string ServiceName => "training-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddTrainingWorker();

    [SetUp]
    public Task StartMlflow() => StartMlflowAsync();

    async Task StartAsync(bool mlflow = true, Action<IServiceCollection>? services = null, int retryDelaySeconds = 30)
    {
        Build(new Dictionary<string, string?>
        {
            ["Training:RetryDelaySeconds"] = retryDelaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Tracking:MlflowUri"] = mlflow ? Mlflow.Uri : null,
            ["Tracking:TimeoutSeconds"] = "2",
            ["Tracking:Retries"] = "1",
            ["Training:PollIntervalMs"] = "50",
            ["Training:LeaseSeconds"] = "5",
            ["Training:HeartbeatSeconds"] = "1",
        }, services, timeout: TimeSpan.FromSeconds(60), inactivity: TimeSpan.FromSeconds(60)); // training is quiet on the bus for seconds
        await Get<ICandleStore>().AppendAsync(Series, PlantedMarket.Generate(1_200, seed: 4), null);
        await Host.StartAsync();
    }

    static TrainingRequested Request(IReadOnlyDictionary<string, JsonElement>? hp = null, string symbol = "PLANT/USD") => new()
    {
        RequestId = Guid.NewGuid(), Exchange = "sim", Symbol = symbol, Interval = "1m", Hyperparameters = hp ?? Tiny, Reason = "test",
    };

    Task<T> Single<T>(Func<T, bool> match) where T : class => Harness.PublishedSingle(match);

    /// <summary>A broker that refuses the first training.started, as a blip would.</summary>
    sealed class BlippingEvents(IBus bus) : TrainingEvents(bus)
    {
        int _calls;

        public override Task PublishStartedAsync(TrainingRequested request, int attempt, NeuralTrade.Events.Tracking.TrackedRun run, string modelName,
            CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1
                ? throw new InvalidOperationException("the broker closed the channel (blip)")
                : base.PublishStartedAsync(request, attempt, run, modelName, cancellationToken);
    }

    [Test]
    public async Task A_broker_blip_announcing_the_run_is_one_failed_attempt_and_the_job_completes_on_the_next()
    {
        await StartAsync(services: s => s.AddSingleton<TrainingEvents>(sp => new BlippingEvents(sp.GetRequiredService<IBus>())), retryDelaySeconds: 0);
        var request = Request();

        await Harness.Bus.Publish(request);

        var completed = await Single<TrainingCompleted>(c => c.RequestId == request.RequestId);
        var started = Harness.Published.Select<TrainingStarted>().Select(m => m.Context.Message).Where(m => m.RequestId == request.RequestId).ToList();
        var runs = Mlflow.Runs.Values.Where(r => r.Tags.TryGetValue("neuraltrade.request_id", out var id) && id == request.RequestId.ToString())
            .OrderBy(r => r.Tags["neuraltrade.attempt"]).Select(r => r.Status).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Get<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, Is.False, "the host lives on");
            Assert.That(started.Select(s => s.RunId), Is.EqualTo(new[] { completed.RunId }), "announced once, by the second attempt");
            Assert.That(runs, Is.EqualTo(new[] { "FAILED", "FINISHED" }), "the first attempt's run ended FAILED in MLflow");
            Assert.That(Harness.Published.Select<TrainingFailed>().Any(), Is.False);
        });
    }

    [Test]
    public async Task Request_is_trained_tracked_in_mlflow_and_announced_with_a_verified_artifact()
    {
        await StartAsync();
        var request = Request();
        await Harness.Bus.Publish(request);

        var started = await Single<TrainingStarted>(e => e.RequestId == request.RequestId);
        var completed = await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);

        Assert.That(started.ModelName, Is.EqualTo("signal-sim-plant_susd-1m"));
        Assert.That((completed.RunId, completed.CorrelationId), Is.EqualTo((started.RunId, request.CorrelationId)));
        Assert.That(completed.Tracking, Is.EqualTo(new TrackingInfo("mlflow")));
        Assert.That(completed.Artifact.Uri, Does.StartWith($"mlflow-artifacts:/1/{completed.RunId}/artifacts/model/"));
        Assert.That(completed.Metrics.Keys, Is.SupersetOf(new[] { "accuracy", "macro_f1", "log_loss", "precision_buy", "recall_sell",
            "backtest_total_return", "backtest_sharpe", "backtest_hit_rate", "backtest_max_drawdown", "validation_macro_f1" }));
        Assert.That(completed.Dataset.Samples, Is.GreaterThan(1_000));

        var run = Mlflow.Runs[completed.RunId];
        // Few metrics, one naming rule (docs/modeling.md, "What a run records"): the test split's unprefixed, the validation
        // split's headline prefixed, baselines as baseline_<name>_<metric>, per-epoch curves; nothing else.
        Assert.That(run.Metrics.Keys.Order(), Is.EqualTo(ExpectedRunMetrics.Order()), "the run's metric names");
        Assert.That(completed.Metrics.Keys.Order(), Is.EqualTo(ExpectedRunMetrics.Except(["train_loss", "validation_loss", "learning_rate"]).Order()),
            "training.completed carries the run's final metrics");
        Assert.That(run.Status, Is.EqualTo("FINISHED"));
        Assert.That(run.Params["hiddenSize"], Is.EqualTo("8"));
        Assert.That(run.Tags["feature_spec"], Is.EqualTo("ohlcv-v1"));
        Assert.That(run.Tags["device"], Is.EqualTo("CPU"));
        // Three seeds (the default) of three epochs, numbered across seeds.
        Assert.That(run.Metrics["train_loss"].Select(m => m.Step), Is.EqualTo(Enumerable.Range(1, 9).Select(e => (long)e)));
        var bytes = Mlflow.Artifacts[$"1/{completed.RunId}/artifacts/model/{completed.ModelName}{ModelArtifact.FileExtension}"];
        Assert.That(ModelArtifact.Sha256(bytes), Is.EqualTo(completed.Artifact.Sha256));
        Assert.That(bytes.LongLength, Is.EqualTo(completed.Artifact.SizeBytes));
        using var model = ModelArtifact.Read(bytes, completed.Artifact.Sha256);
        Assert.That(model.Manifest.ModelName, Is.EqualTo(completed.ModelName));

        var job = await FinishedJobAsync(Get<ITrainingJobStore>(), request.RequestId);
        Assert.That(job!.Status, Is.EqualTo(JobStatus.Completed));
        Assert.That(JsonNode.Parse(job.ProgressJson!)!["epoch"]!.GetValue<int>(), Is.EqualTo(9), "progress is visible in the job");
    }

    /// <summary>Every metric a training run logs (three seeds, no walk-forward): the list docs/modeling.md documents.</summary>
    static readonly string[] ExpectedRunMetrics =
    [
        "accuracy", "macro_f1", "log_loss", "samples",
        "precision_sell", "recall_sell", "f1_sell", "precision_hold", "recall_hold", "f1_hold", "precision_buy", "recall_buy", "f1_buy",
        "backtest_total_return", "backtest_total_return_lower", "backtest_total_return_upper", "backtest_annual_return",
        "backtest_sharpe", "backtest_sharpe_lower", "backtest_sharpe_upper", "backtest_hit_rate", "backtest_max_drawdown",
        "backtest_trades", "backtest_exposure",
        "baseline_buy_and_hold_macro_f1", "baseline_buy_and_hold_sharpe", "baseline_always_hold_macro_f1", "baseline_always_hold_sharpe",
        "baseline_persistence_macro_f1", "baseline_persistence_sharpe", "baseline_stratified_random_macro_f1", "baseline_stratified_random_sharpe",
        "baseline_majority_macro_f1",
        "validation_accuracy", "validation_macro_f1", "validation_log_loss", "validation_samples",
        "calibration_temperature", "ece", "ece_uncalibrated",
        "seed_macro_f1_mean", "seed_macro_f1_sd", "seed_macro_f1_min", "seed_macro_f1_max", "seed_count",
        "best_epoch",
        "train_loss", "validation_loss", "learning_rate",
    ];

    [Test]
    public async Task A_run_logs_its_calibration_plots_and_description_with_mlflow_system_tags()
    {
        await StartAsync();
        var request = Request(new Dictionary<string, JsonElement>(Tiny) { ["seeds"] = J("2"), ["epochs"] = J("2") });
        await Harness.Bus.Publish(request);

        var completed = await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);

        var run = Mlflow.Runs[completed.RunId];
        var artifacts = RunArtifacts(completed.RunId);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo("FINISHED"));
            Assert.That(artifacts.Keys, Is.SupersetOf(new[]
            {
                "calibration.json", "evaluation.json", "plots/learning_curves.png", "plots/confusion_matrix.png", "plots/reliability.png", "plots/equity_curves.png",
            }));
            Assert.That(artifacts.Keys.Where(k => k.StartsWith("walk_forward/", StringComparison.Ordinal)), Is.Empty, "no walk-forward unless asked");
            Assert.That(Mlflow.Runs.Values.Where(r => r.Tags.ContainsKey("mlflow.parentRunId")), Is.Empty);
            Assert.That(run.Tags["mlflow.user"], Is.EqualTo(Environment.UserName));
            Assert.That(run.Tags["mlflow.source.name"], Is.EqualTo("NeuralTrade.Events.Workers.Training"));
            Assert.That(run.Tags["mlflow.source.type"], Is.EqualTo("JOB"));
            // The commit the worker was built from (the SDK stamps it from git; images pass it as GIT_COMMIT).
            Assert.That(run.Tags["mlflow.source.git.commit"], Does.Match("^[0-9a-f]{40}$|^unknown$"));
            if (Environment.GetEnvironmentVariable("NEURALTRADE_GIT_COMMIT") is null && Directory.Exists(Path.Combine(CliToolPackageTests.RepositoryRoot(), ".git")))
                Assert.That(run.Tags["mlflow.source.git.commit"], Does.Match("^[0-9a-f]{40}$"), "built from a git checkout");
            Assert.That(run.Params["walkForwardFolds"], Is.EqualTo("0"));
        });
        foreach (var png in artifacts.Where(a => a.Key.StartsWith("plots/", StringComparison.Ordinal)))
            Assert.That(png.Value.Take(8), Is.EqualTo(PngSignature), png.Key);
        // The confusion matrices as data: rows the true class, columns the predicted; each sums to its split's samples.
        var evaluation = JsonNode.Parse(artifacts["evaluation.json"])!;
        Assert.That(evaluation["classes"]!.AsArray().Select(c => c!.GetValue<string>()), Is.EqualTo(new[] { "sell", "hold", "buy" }));
        foreach (var split in new[] { "test", "validation" })
        {
            var matrix = evaluation[split]!["confusionMatrix"]!.AsArray();
            Assert.That(matrix.Sum(r => r!.AsArray().Sum(v => v!.GetValue<int>())), Is.EqualTo(evaluation[split]!["metrics"]!["samples"]!.GetValue<double>()), split);
        }
        Assert.That(evaluation["test"]!["metrics"]!["macro_f1"]!.GetValue<double>(), Is.EqualTo(completed.Metrics["macro_f1"]));
        Assert.That(evaluation["validation"]!["metrics"]!["macro_f1"]!.GetValue<double>(), Is.EqualTo(completed.Metrics["validation_macro_f1"]));

        // The dataset it read, as an MLflow dataset input: the stored candles, their digest, columns and profile.
        var candles = await Get<ICandleStore>().GetRangeAsync(Series);
        var input = run.Inputs.Single();
        var dataset = input["dataset"]!;
        Assert.Multiple(() =>
        {
            Assert.That(dataset["name"]!.GetValue<string>(), Is.EqualTo("sim:PLANT/USD:1m"));
            Assert.That(dataset["digest"]!.GetValue<string>(), Is.EqualTo(TrainingDatasets.Digest(candles)).And.Length.EqualTo(16));
            Assert.That(dataset["source_type"]!.GetValue<string>(), Is.EqualTo(TrainingDatasets.SourceType));
            Assert.That(JsonNode.Parse(dataset["source"]!.GetValue<string>())!["series"]!.GetValue<string>(), Is.EqualTo("sim:PLANT/USD:1m"));
            var columns = JsonNode.Parse(dataset["schema"]!.GetValue<string>())!["mlflow_colspec"]!.AsArray().Select(c => c!["name"]!.GetValue<string>());
            Assert.That(columns, Is.EqualTo(new[] { "openTime", "open", "high", "low", "close", "volume" }));
            var profile = JsonNode.Parse(dataset["profile"]!.GetValue<string>())!;
            Assert.That(profile["num_rows"]!.GetValue<int>(), Is.EqualTo(candles.Count));
            using var trained = ModelArtifact.Read(artifacts[$"model/{completed.ModelName}{ModelArtifact.FileExtension}"], completed.Artifact.Sha256);
            var split = trained.Manifest.Training;
            Assert.That((profile["train_samples"]!.GetValue<int>(), profile["validation_samples"]!.GetValue<int>(), profile["test_samples"]!.GetValue<int>()),
                Is.EqualTo((split.TrainSamples, split.ValidationSamples, split.TestSamples)));
            Assert.That(profile["gaps"]!.GetValue<long>(), Is.Zero);
            Assert.That(input["tags"]!.AsArray().Select(t => (t!["key"]!.GetValue<string>(), t["value"]!.GetValue<string>())),
                Is.EqualTo(new[] { ("mlflow.data.context", "training") }));
        });
        Assert.That(TrainingDatasets.Digest(candles.Skip(1).ToList()), Is.Not.EqualTo(dataset["digest"]!.GetValue<string>()), "the digest tells the candles apart");

        // The manifest's calibration, as it is in the artifact.
        var calibration = JsonSerializer.Deserialize<CalibrationInfo>(artifacts["calibration.json"], ContractJson.Options)!;
        using var model = ModelArtifact.Read(artifacts[$"model/{completed.ModelName}{ModelArtifact.FileExtension}"], completed.Artifact.Sha256);
        Assert.That(calibration.Temperature, Is.EqualTo(model.Manifest.Calibration!.Temperature));
        Assert.That(calibration.TestBefore.Table, Has.Count.EqualTo(Calibration.Bins));
        Assert.That(calibration.TestAfter.Table, Has.Count.EqualTo(Calibration.Bins));
        Assert.That(System.Text.Encoding.UTF8.GetString(artifacts["calibration.json"]), Does.Contain("\n  \""), "indented");

        // The MLflow model directory beside the .ntm (model/): MLmodel of this run, the loader, the weights and the input example.
        Assert.That(artifacts.Keys.Where(k => k.StartsWith("model/", StringComparison.Ordinal)), Is.EquivalentTo(new[]
        {
            $"model/{completed.ModelName}{ModelArtifact.FileExtension}", "model/MLmodel", "model/code/neuraltrade_signal.py", "model/data/config.json",
            "model/data/state_dict.pt", "model/input_example.json", "model/serving_input_example.json", "model/conda.yaml", "model/python_env.yaml",
            "model/requirements.txt",
        }));
        var mlmodel = System.Text.Encoding.UTF8.GetString(artifacts["model/MLmodel"]);
        Assert.That(mlmodel, Does.Match($"(?m)^run_id: '?{completed.RunId}'?$").And.Contain("loader_module: neuraltrade_signal\n")
            .And.Contain("artifact_path: model\n"));
        Assert.That(run.Tags, Does.Not.ContainKey(TrainingTracking.MlflowModelErrorTag));
        var config = JsonNode.Parse(artifacts["model/data/config.json"])!;
        Assert.That(config["artifact_sha256"]!.GetValue<string>(), Is.EqualTo(completed.Artifact.Sha256), "built from the artifact that is served");
        Assert.That(config["hidden_size"]!.GetValue<int>(), Is.EqualTo(8));

        var seeds = model.Manifest.Seeds!;
        var note = run.Tags["mlflow.note.content"];
        Assert.That(note, Does.Contain("sim:PLANT/USD:1m").And.Contain("test").And.Contain("LSTM 1 × 8").And.Contain("windows of 16 bars"));
        Assert.That(note, Does.Contain($"served seed {seeds.ServedSeed}").And.Contain("Seeds: 2").And.Contain("sd ").And.Contain("temperature "));
        Assert.That(note, Does.Not.Contain("Walk-forward"));
    }

    [Test]
    public async Task Walk_forward_folds_are_child_runs_of_the_training_run_and_its_figures_join_the_metrics()
    {
        await StartAsync();
        var request = Request(new Dictionary<string, JsonElement>(Tiny) { ["seeds"] = J("1"), ["epochs"] = J("2"), ["walkForwardFolds"] = J("2") });
        await Harness.Bus.Publish(request);

        var completed = await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);

        var parent = Mlflow.Runs[completed.RunId];
        var children = Mlflow.Runs.Values.Where(r => r.Tags.TryGetValue("mlflow.parentRunId", out var id) && id == parent.RunId)
            .OrderBy(r => r.Tags["neuraltrade.walk_forward.fold"]).ToList();
        string[] pooled = ["walk_forward_folds", "walk_forward_samples", "walk_forward_macro_f1", "walk_forward_macro_f1_lower", "walk_forward_sharpe"];
        var artifacts = RunArtifacts(parent.RunId);
        Assert.Multiple(() =>
        {
            Assert.That(parent.Status, Is.EqualTo("FINISHED"));
            Assert.That(parent.Params["walkForwardFolds"], Is.EqualTo("2"));
            Assert.That(children.Select(c => (c.RunName, c.Status, c.Tags["neuraltrade.walk_forward.fold"])),
                Is.EqualTo(new[] { ("fold-1", "FINISHED", "1"), ("fold-2", "FINISHED", "2") }));
            Assert.That(children.Select(c => c.ExperimentId), Is.All.EqualTo(parent.ExperimentId));
            Assert.That(children.Select(c => c.Tags["neuraltrade.request_id"]), Is.All.EqualTo(request.RequestId.ToString()));
            Assert.That(children.Select(c => c.Tags["mlflow.source.type"]), Is.All.EqualTo("JOB"));
            Assert.That(children.Select(c => c.Metrics.ContainsKey("macro_f1")), Is.All.True);
            Assert.That(parent.Metrics.Keys, Is.SupersetOf(pooled));
            Assert.That(completed.Metrics.Keys, Is.SupersetOf(pooled), "the Registry's version carries the walk-forward");
            Assert.That(completed.Metrics.Keys, Is.SupersetOf(new[] { "macro_f1", "ece" }), "beside the run's own");
            Assert.That(completed.Metrics["walk_forward_folds"], Is.EqualTo(2));
            Assert.That(parent.Tags, Does.ContainKey("neuraltrade.walk_forward.verdict"));
            Assert.That(parent.Tags["mlflow.note.content"], Does.Contain("Walk-forward: 2 folds"));
            Assert.That(artifacts.Keys, Is.SupersetOf(new[]
            {
                "walk_forward/table.txt", "walk_forward/summary.json", "walk_forward/fold_metrics.png", "walk_forward/equity_curves.png",
                "walk_forward/learning_curves.png", "calibration.json", "plots/reliability.png",
            }));
        });
        foreach (var png in artifacts.Where(a => a.Key.StartsWith("walk_forward/", StringComparison.Ordinal) && a.Key.EndsWith(".png", StringComparison.Ordinal)))
            Assert.That(png.Value.Take(8), Is.EqualTo(PngSignature), png.Key);
        Assert.That(System.Text.Encoding.UTF8.GetString(artifacts["walk_forward/table.txt"]), Does.StartWith("Walk-forward: 2 folds"));
    }

    static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>A run's artifacts uploaded to MLflow, by their path under the run's <c>artifacts/</c>.</summary>
    Dictionary<string, byte[]> RunArtifacts(string runId)
    {
        var prefix = $"{Mlflow.Runs[runId].ExperimentId}/{runId}/artifacts/";
        return Mlflow.Artifacts.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(a => a.Key[prefix.Length..], a => a.Value);
    }

    [Test]
    public async Task With_mlflow_down_the_run_is_recorded_locally_and_the_event_says_so()
    {
        Mlflow.Down = true;
        await StartAsync();
        var request = Request();
        await Harness.Bus.Publish(request);

        var completed = await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);

        Assert.That(completed.Tracking!.Store, Is.EqualTo("local"));
        Assert.That(completed.Tracking.Error, Does.Contain("MLflow").And.Contain("503"));
        var path = new Uri(completed.Artifact.Uri).LocalPath;
        Assert.That(ModelArtifact.Sha256(await File.ReadAllBytesAsync(path)), Is.EqualTo(completed.Artifact.Sha256));
        var runDirectory = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(path)))!;
        var runJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(runDirectory, "run.json")))!;
        Assert.That(runJson["status"]!.GetValue<string>(), Is.EqualTo("FINISHED"));
        Assert.That(runJson["params"]!["windowSize"]!.GetValue<string>(), Is.EqualTo("16"));
        Assert.That(File.ReadAllLines(Path.Combine(runDirectory, "metrics.jsonl")), Has.Some.Contains("\"train_loss\""));
        // The MLflow model directory is written locally too: mlflow.pyfunc.load_model("<run>/artifacts/model") loads it.
        var modelDirectory = Path.GetDirectoryName(path)!;
        Assert.That(Path.Combine(modelDirectory, "MLmodel"), Does.Exist);
        Assert.That(Path.Combine(modelDirectory, "data", "state_dict.pt"), Does.Exist);
    }

    [TestCase("ETH/USDT", null, "no candles are stored")]
    [TestCase("PLANT/USD", "{\"windowSize\":\"wide\",\"layers\":3}", "invalid hyperparameters")]
    [TestCase("PLANT/USD", "{\"minSamples\":5000}", "training needs at least")]
    [TestCase("plant/usd", null, "invalid series")]
    [TestCase("PLANT/USD", "{\"walkForwardFolds\":1}", "walkForwardFolds 1 must be 0 (no walk-forward) or 2 to 20")]
    [TestCase("PLANT/USD", "{\"walkForwardFolds\":21}", "walkForwardFolds 21 must be 0 (no walk-forward) or 2 to 20")]
    [TestCase("PLANT/USD", "{\"walkForwardFolds\":20}", "walkForwardFolds 20: ")]
    [TestCase("PLANT/USD", "{\"hiddenSize\":1024,\"numLayers\":8,\"windowSize\":512,\"epochs\":1000,\"minSamples\":100}",
        "this trainer's budget is 5.0E+015 (Training:MaxTrainingFlops)")]
    public async Task Bad_request_fails_fast_with_the_reason(string symbol, string? hp, string reason)
    {
        await StartAsync(mlflow: false);
        var overrides = hp is null ? Tiny : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(hp)!;
        var request = Request(overrides, symbol);
        await Harness.Bus.Publish(request);

        var failed = await Single<TrainingFailed>(e => e.RequestId == request.RequestId);

        Assert.That(failed.Error, Does.Contain(reason));
        await Task.Delay(500);
        // Snapshots, not waits: the answer has arrived, so anything else would have too.
        Assert.That(Harness.PublishedNow<Fault<TrainingRequested>>().Any(), Is.False, "a bad request is answered, not retried");
        Assert.That(Harness.PublishedNow<TrainingStarted>().Any(), Is.False);
    }

    [Test]
    public async Task The_same_request_twice_trains_once()
    {
        await StartAsync(mlflow: false);
        var request = Request();
        await Harness.Bus.Publish(request);
        await Harness.Bus.Publish(request);

        await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);
        await Task.Delay(1_500);

        Assert.That(Harness.PublishedNow<TrainingStarted>().Count, Is.EqualTo(1));
        Assert.That(Harness.PublishedNow<TrainingCompleted>().Count, Is.EqualTo(1));
    }

    [Test]
    public async Task A_job_left_by_a_dead_worker_is_taken_over_when_its_lease_expires()
    {
        var jobs = new InMemoryTrainingJobStore(TimeProvider.System);
        var request = Request();
        await jobs.EnqueueAsync(request.RequestId, JsonSerializer.Serialize(request, ContractJson.Options));
        await jobs.TryClaimAsync("worker-that-was-killed", TimeSpan.FromSeconds(2)); // it never renews: kill -9
        await StartAsync(mlflow: false, services: s => s.AddSingleton<ITrainingJobStore>(jobs));

        var completed = await Single<TrainingCompleted>(e => e.RequestId == request.RequestId);

        var job = await FinishedJobAsync(jobs, request.RequestId);

        Assert.That((job!.Status, job.Attempts), Is.EqualTo((JobStatus.Completed, 2)));
        Assert.That(completed.ModelName, Is.EqualTo("signal-sim-plant_susd-1m"));
    }

    [Test]
    public async Task A_job_whose_last_attempt_was_killed_fails_and_that_attempts_run_ends_killed_not_running()
    {
        var jobs = new InMemoryTrainingJobStore(TimeProvider.System);
        var request = Request();
        await jobs.EnqueueAsync(request.RequestId, JsonSerializer.Serialize(request, ContractJson.Options));
        for (var attempt = 1; attempt <= 3; attempt++) // Training:MaxAttempts: each attempt's worker killed, its lease left to expire
        {
            Assert.That(await jobs.TryClaimAsync($"killed-{attempt}", TimeSpan.FromMilliseconds(1)), Is.Not.Null);
            await Task.Delay(20);
        }

        // The last attempt's run, as its worker left it: RUNNING in MLflow and in the local run store.
        var local = new NeuralTrade.Events.Tracking.RunTracker(new NeuralTrade.Events.Tracking.TrackingOptions { LocalDirectory = Scratch }, null,
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<NeuralTrade.Events.Tracking.RunTracker>.Instance);
        var modelName = ModelNames.For(Series);
        var run = await local.StartRunAsync(modelName, "killed-attempt-3", new Dictionary<string, string>());
        Mlflow.Runs[run.RunId] = new FakeMlflowServer.Run { RunId = run.RunId, ExperimentId = "0" };
        await jobs.RecordRunAsync(request.RequestId, run.RunId);
        await StartAsync(services: s => s.AddSingleton<ITrainingJobStore>(jobs));

        var failed = await Single<TrainingFailed>(e => e.RequestId == request.RequestId);

        Assert.That(failed.Error, Does.Contain("gave up after 3 attempts"));
        Assert.That(Mlflow.Runs[run.RunId].Status, Is.EqualTo("KILLED"));
        Assert.That(Mlflow.Runs[run.RunId].Tags["neuraltrade.abandoned"], Does.Contain("was the last of 3"));
        var localRun = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(run.LocalPath, "run.json")))!;
        Assert.That(localRun["status"]!.GetValue<string>(), Is.EqualTo("KILLED"));
        Assert.That(localRun["tags"]!["neuraltrade.abandoned"]!.GetValue<string>(), Does.Contain("was the last of 3"));
        Assert.That(Mlflow.Runs.Values.Count(r => r.Status == "RUNNING"), Is.Zero, "no run started for a job given up");
    }

    /// <summary>The job once it left the announcing state: it is marked completed just after its announcement is confirmed.</summary>
    static async Task<TrainingJob?> FinishedJobAsync(ITrainingJobStore jobs, Guid requestId)
    {
        var job = await jobs.GetAsync(requestId);
        for (var i = 0; i < 100 && job?.Status == JobStatus.Announcing; i++)
        {
            await Task.Delay(50);
            job = await jobs.GetAsync(requestId);
        }

        return job;
    }

    static JsonElement J(string raw) => JsonDocument.Parse(raw).RootElement;
}

public sealed class InMemoryTrainingJobStoreTests : TrainingJobStoreContract
{
    InMemoryTrainingJobStore _store = new(TimeProvider.System);

    protected override ITrainingJobStore Store => _store;

    [SetUp]
    public void New() => _store = new InMemoryTrainingJobStore(TimeProvider.System);
}
