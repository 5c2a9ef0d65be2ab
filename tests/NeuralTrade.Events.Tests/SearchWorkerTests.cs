using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Training;
using NeuralTrade.Events.Workers.Training.Search;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Hyperparameter search through the Training worker on the in-memory harness, with the in-process MLflow server: the
/// request fans out as trial messages, two training slots run them, ASHA stops some, the best on validation becomes the
/// request's training.completed; a redelivered request and a duplicated trial each run once.
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class SearchWorkerTests : WorkerHarnessFixture
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");

    protected override string ServiceName => "search-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddTrainingWorker();

    [SetUp]
    public Task StartMlflow() => StartMlflowAsync();

    /// <summary>A broker that loses the first publish of trial 1, as a dead-lettered or lost message would be.</summary>
    sealed class LosingEvents(IBus bus) : TrainingEvents(bus)
    {
        int _lost;

        public override Task PublishTrialsAsync(TrainingRequested request, IReadOnlyList<int> trials, CancellationToken cancellationToken) =>
            base.PublishTrialsAsync(request, trials.Contains(1) && Interlocked.Exchange(ref _lost, 1) == 0 ? [.. trials.Where(t => t != 1)] : trials,
                cancellationToken);
    }

    async Task StartAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        Build(new Dictionary<string, string?>
        {
            ["Training:SearchCheckSeconds"] = "5",
            ["Tracking:MlflowUri"] = Mlflow.Uri,
            ["Training:PollIntervalMs"] = "50",
            ["Training:LeaseSeconds"] = "5",
            ["Training:HeartbeatSeconds"] = "1",
            ["Training:ConcurrentJobs"] = "2",
        }, services, timeout: TimeSpan.FromSeconds(120), inactivity: TimeSpan.FromSeconds(60));
        await Get<ICandleStore>().AppendAsync(Series, PlantedMarket.Generate(1_200, seed: 4), null);
        await Host.StartAsync();
    }

    static JsonElement J(string raw) => JsonDocument.Parse(raw).RootElement;

    static TrainingRequested SearchRequest() => new()
    {
        RequestId = Guid.NewGuid(), Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval, Reason = "search",
        Hyperparameters = new Dictionary<string, JsonElement>
        {
            ["windowSize"] = J("16"), ["numLayers"] = J("1"), ["epochs"] = J("4"), ["patience"] = J("4"), ["minSamples"] = J("100"),
            ["fixedThreshold"] = J("0.006"), ["volatilityScale"] = J("0"), ["batchSize"] = J("64"),
        },
        Search = new SearchRequest
        {
            Space = new Dictionary<string, SearchRange>
            {
                ["hiddenSize"] = new() { Values = [8, 16] },
                ["learningRate"] = new() { Values = [0.0003, 0.01] },
            },
            Strategy = "grid",
            Trials = 4,
            EarlyStopping = new EarlyStoppingRequest { GraceEpochs = 1, ReductionFactor = 2 },
        },
    };

    [Test]
    public async Task A_search_runs_each_trial_once_as_a_child_run_and_announces_the_best_on_validation()
    {
        await StartAsync();
        var request = SearchRequest();
        await Harness.Bus.Publish(request);
        await Harness.Bus.Publish(request); // a redelivered request: one search

        var started = await Harness.PublishedSingle<TrainingStarted>(e => e.RequestId == request.RequestId);
        // A duplicated trial message (same event id, as a redelivery would bring): the trial runs once.
        await Harness.Bus.Publish(new TrainingTrialRequested
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.trial|0"), SearchId = request.RequestId, Trial = 0,
        });
        var completed = await Harness.PublishedSingle<TrainingCompleted>(e => e.RequestId == request.RequestId);
        await Task.Delay(500); // a second completion or failure would show now

        var searches = Get<ISearchStore>();
        var outcomes = (await searches.GetTrialsAsync(request.RequestId)).Values.Select(SearchJson.Read<TrialOutcome>).OrderBy(o => o.Trial).ToList();
        var parent = Mlflow.Runs[started.RunId];
        var children = Mlflow.Runs.Values.Where(r => r.Tags.GetValueOrDefault("mlflow.parentRunId") == started.RunId).ToList();
        foreach (var o in outcomes)
            TestContext.Out.WriteLine($"trial {o.Trial} {o.Status} {string.Join(' ', o.Values.Select(v => $"{v.Key}={v.Value}"))} " +
                $"validation macro-F1 {o.ValidationMacroF1:F3} epochs {o.Epochs} {o.DurationSeconds:F1} s");
        var best = outcomes.Where(o => o.Status == TrialStatus.Completed).MaxBy(o => o.ValidationMacroF1)!;
        Assert.Multiple(() =>
        {
            Assert.That(Harness.PublishedNow<TrainingStarted>(e => e.RequestId == request.RequestId), Has.Count.EqualTo(1),
                "one training.started, for the search's parent run");
            Assert.That(Harness.PublishedNow<TrainingFailed>(), Is.Empty);
            Assert.That(Harness.PublishedNow<TrainingCompleted>(), Has.Count.EqualTo(1), "one candidate: the best trial");
            Assert.That(Harness.PublishedNow<TrainingTrialRequested>().Select(t => t.Trial).Distinct().Order(), Is.EqualTo(new[] { 0, 1, 2, 3 }),
                "four trials fanned out");
            Assert.That(outcomes.Select(o => o.Trial), Is.EqualTo(new[] { 0, 1, 2, 3 }));
            Assert.That(outcomes.Select(o => o.Status), Is.All.AnyOf(TrialStatus.Completed, TrialStatus.Stopped));
            Assert.That(outcomes.Count(o => o.Status == TrialStatus.Completed), Is.GreaterThanOrEqualTo(1), "the first trial at a rung always goes on");
            Assert.That(outcomes.Select(o => o.Attempts), Is.All.EqualTo(1), "no trial ran twice");

            // One child run per trial, nested under the parent, with the trial's values as params; stopped trials KILLED.
            Assert.That(children.Select(c => c.Tags["neuraltrade.search.trial"]).Order(), Is.EqualTo(new[] { "0", "1", "2", "3" }), "one child run per trial");
            foreach (var o in outcomes)
            {
                var child = Mlflow.Runs[o.RunId!];
                Assert.That(child.Tags["mlflow.parentRunId"], Is.EqualTo(started.RunId));
                Assert.That(child.Params["hiddenSize"], Is.EqualTo(o.Values["hiddenSize"].ToString(System.Globalization.CultureInfo.InvariantCulture)));
                Assert.That(child.Params["seeds"], Is.EqualTo("1"), "a trial trains one seed");
                Assert.That(child.Status, Is.EqualTo(o.Status == TrialStatus.Stopped ? "KILLED" : "FINISHED"), $"trial {o.Trial}");
                if (o.Status == TrialStatus.Stopped)
                {
                    Assert.That(child.Tags["neuraltrade.search.stopped_at"], Is.EqualTo(o.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    Assert.That(child.Metrics["train_loss"], Has.Count.EqualTo(o.Epochs), "a stopped trial trained only up to its rung");
                }
                else
                {
                    Assert.That(child.Metrics["validation_macro_f1"].Single().Value, Is.EqualTo(o.ValidationMacroF1));
                }
            }

            // The best on validation macro-F1 is the candidate, and the parent says which it was.
            Assert.That(completed.RunId, Is.EqualTo(best.RunId));
            Assert.That(completed.Metrics["validation_macro_f1"], Is.EqualTo(best.ValidationMacroF1));
            Assert.That(completed.CorrelationId, Is.EqualTo(request.CorrelationId));
            Assert.That(parent.Status, Is.EqualTo("FINISHED"));
            Assert.That(parent.Tags["neuraltrade.search.best_trial"], Is.EqualTo(best.Trial.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(parent.Tags["neuraltrade.search.best_run_id"], Is.EqualTo(best.RunId));
            Assert.That(JsonDocument.Parse(parent.Tags["neuraltrade.search.space"]).RootElement.EnumerateObject().Select(p => p.Name),
                Is.EquivalentTo(new[] { "hiddenSize", "learningRate" }));
            Assert.That(parent.Metrics["best_validation_macro_f1"].Single().Value, Is.EqualTo(best.ValidationMacroF1));
            Assert.That(parent.Metrics["search_trials_completed"].Single().Value + parent.Metrics["search_trials_stopped"].Single().Value, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task A_trial_whose_message_was_lost_is_published_again_by_the_searchs_check_and_the_search_completes()
    {
        await StartAsync(s => s.AddSingleton<TrainingEvents, LosingEvents>());
        var request = SearchRequest() with
        {
            Search = SearchRequest().Search! with
            {
                Space = new Dictionary<string, SearchRange> { ["hiddenSize"] = new() { Values = [8, 16] } }, Trials = 2, EarlyStopping = null,
            },
        };
        await Harness.Bus.Publish(request);

        var completed = await Harness.PublishedSingle<TrainingCompleted>(e => e.RequestId == request.RequestId);
        var outcomes = (await Get<ISearchStore>().GetTrialsAsync(request.RequestId)).Values.Select(SearchJson.Read<TrialOutcome>).OrderBy(o => o.Trial).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(outcomes.Select(o => (o.Trial, o.Status, o.Attempts)),
                Is.EqualTo(new[] { (0, TrialStatus.Completed, 1), (1, TrialStatus.Completed, 1) }), "the lost trial ran once, after the check");
            Assert.That(Mlflow.Runs.Values.Count(r => r.Tags.GetValueOrDefault("neuraltrade.search.trial") == "1"), Is.EqualTo(1));
            Assert.That(completed.RunId, Is.EqualTo(TrainingJobRunner.SelectBest(outcomes)!.RunId));
        });
    }

    [Test]
    public async Task A_trial_of_an_unknown_search_is_dead_lettered_with_the_reason()
    {
        await StartAsync();
        var forged = new TrainingTrialRequested { SearchId = Guid.NewGuid(), Trial = 0 };
        await Harness.Bus.Publish(forged);
        var fault = await Harness.PublishedSingle<Fault<TrainingTrialRequested>>(f => f.Message.SearchId == forged.SearchId);
        Assert.That(fault.Exceptions.Single().Message, Does.Contain($"search {forged.SearchId} is unknown"));
    }

    [Test]
    public void Selection_reads_the_validation_split_only_and_ties_go_to_the_lower_trial()
    {
        static TrialOutcome Outcome(int trial, string status, double? validation, double test) =>
            new(trial, status, new Dictionary<string, double>(), $"run-{trial}", 4, validation, null, 1, 1,
                Completed: status == TrialStatus.Completed ? Completed(test) : null);
        static TrainingCompleted Completed(double test) => new()
        {
            RequestId = Guid.NewGuid(), RunId = "r", ModelName = "m", Artifact = new ArtifactRef("file:///m", "00", 1),
            Metrics = new Dictionary<string, double> { ["macro_f1"] = test }, Dataset = new DatasetRange(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1),
            DurationSeconds = 1,
        };
        Assert.Multiple(() =>
        {
            // Trial 1 is best on the test split; trial 2 on validation: trial 2 is chosen.
            Assert.That(TrainingJobRunner.SelectBest([Outcome(0, TrialStatus.Completed, 0.40, 0.40), Outcome(1, TrialStatus.Completed, 0.45, 0.90),
                Outcome(2, TrialStatus.Completed, 0.50, 0.30), Outcome(3, TrialStatus.Stopped, null, 0)])!.Trial, Is.EqualTo(2));
            Assert.That(TrainingJobRunner.SelectBest([Outcome(3, TrialStatus.Completed, 0.5, 0), Outcome(1, TrialStatus.Completed, 0.5, 0)])!.Trial,
                Is.EqualTo(1));
            Assert.That(TrainingJobRunner.SelectBest([Outcome(0, TrialStatus.Failed, null, 0), Outcome(1, TrialStatus.Stopped, null, 0),
                Outcome(2, TrialStatus.Completed, double.NaN, 0)]), Is.Null, "nothing completed with a finite figure: no candidate");
        });
    }
}

public sealed class InMemorySearchStoreTests : SearchStoreContract
{
    InMemorySearchStore _store = new();

    protected override ISearchStore Store => _store;

    [SetUp]
    public void New() => _store = new InMemorySearchStore();
}
