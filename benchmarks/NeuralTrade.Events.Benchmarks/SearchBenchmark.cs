using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// A hyperparameter search on the demo market, run by 1 and then 2 Training processes (each started as it deploys,
/// competing for the queue <c>training-trials</c>): the search's wall time from its training.requested to its stored
/// result, each trial's own time, the fan-out's overhead (the hand-off between a trainer's consecutive trials, the time to
/// the first trial, the selection after the last), and the best trial's validation macro-F1 against the demo recipe trained as one request
/// (one seed, the same epochs) on the same fleet. With two trainers each libtorch runs one thread; with one, libtorch's
/// default. The same seed plans the same trials in both runs; ASHA's decisions depend on the order trials reach their
/// rungs, so the two runs may stop different trials.
/// </summary>
internal sealed class SearchBenchmark(string rabbitUrl, string managementUrl, string redisUrl, int trials, int candles, int epochs, int grace,
    Action<string> log)
{
    public sealed record Trial(int Index, string Status, string Values, int Epochs, double? ValidationMacroF1, double Seconds, DateTimeOffset StartedAt,
        string Trainer)
    {
        public DateTimeOffset EndedAt => StartedAt + TimeSpan.FromSeconds(Seconds);
    }

    /// <param name="FirstTrialSeconds">From the search's training.requested to its first trial's start: the door, the parent run, the fan-out.</param>
    /// <param name="SelectionSeconds">From the last trial's end to the search's stored result: the resume, the selection, the parent run's figures.</param>
    public sealed record Run(int Trainers, int TorchThreads, double WallSeconds, double TrialSecondsSum, int Completed, int Stopped, int Failed, Trial? Best,
        IReadOnlyList<Trial> Trials, double FirstTrialSeconds, double SelectionSeconds)
    {
        /// <summary>
        /// The fan-out's cost per trial: the mean gap between the end of a trial and the start of the next on the same
        /// trainer (recording the outcome, closing the job, claiming the next, reading the search), while trials were queued.
        /// </summary>
        public double HandOffSeconds => Trials.GroupBy(t => t.Trainer)
            .SelectMany(g => g.OrderBy(t => t.StartedAt).Zip(g.OrderBy(t => t.StartedAt).Skip(1), (a, b) => (b.StartedAt - a.EndedAt).TotalSeconds))
            .DefaultIfEmpty(double.NaN).Average();

        public double MeanTrialSeconds => TrialSecondsSum / Math.Max(1, Trials.Count);

        /// <summary>The sum of the trials' own times over the wall time: how many trials ran at once, on average.</summary>
        public double Concurrency => TrialSecondsSum / WallSeconds;
    }

    /// <param name="FleetDefaultsValidationMacroF1">The demo recipe with the fleet's defaults for the searched hyperparameters.</param>
    public sealed record Figures(IReadOnlyList<Run> Runs, double DefaultValidationMacroF1, double DefaultSeconds, double FleetDefaultsValidationMacroF1,
        int Cores, int Candles,
        SearchRequest Search, IReadOnlyDictionary<string, JsonElement> Recipe);

    static readonly SeriesKey Series = new("bench", "SEARCH/USD", "1m");

    /// <summary>The demo's recipe (Fleet/FleetDemo.cs) with <paramref name="epochs"/> epochs and one seed.</summary>
    Dictionary<string, JsonElement> Recipe() => new Dictionary<string, object>
    {
        ["windowSize"] = 30, ["hiddenSize"] = 32, ["numLayers"] = 1, ["epochs"] = epochs, ["batchSize"] = 64, ["learningRate"] = 0.003,
        ["patience"] = epochs, ["minSamples"] = 200, ["seed"] = 7, ["seeds"] = 1, ["volatilityScale"] = 1.0,
    }.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value));

    SearchRequest Search() => new()
    {
        Space = new Dictionary<string, SearchRange>
        {
            ["hiddenSize"] = new() { Values = [16, 32, 64] },
            ["learningRate"] = new() { Min = 0.0003, Max = 0.01, Log = true },
            ["windowSize"] = new() { Values = [20, 30, 45] },
        },
        Strategy = "random", Trials = trials, Seed = 1,
        EarlyStopping = new EarlyStoppingRequest { GraceEpochs = grace, ReductionFactor = 3 },
    };

    public async Task<Figures> RunAsync()
    {
        var market = new MarketSimulator(SimulatedMarket.Demo(candles * 2) with { Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval })
            .Generate(candles).ToList();
        var dll = WorkerProcesses.Dll("Workers.Training", "NeuralTrade.Events.Workers.Training.dll");
        var directory = Path.Combine(Path.GetTempPath(), "nt-bench-" + Guid.NewGuid().ToString("N")[..8]);
        await using var broker = await BenchBroker.CreateAsync(rabbitUrl, managementUrl, redisUrl);
        using var control = await broker.StartHostAsync(directory, "control", builder => builder.AddCandleStore());
        // The Registry's queue in a deployment: training.completed is published mandatory.
        await using var sink = await AnnouncementSink.CreateAsync(broker.Url, Exchanges.TrainingCompleted);
        await control.Services.GetRequiredService<ICandleStore>().AppendAsync(Series, market, null);
        var redis = control.Services.GetRequiredService<IConnectionMultiplexer>();
        var keys = new RedisKeys(broker.KeyPrefix);
        var jobs = new RedisTrainingJobStore(redis, keys, TimeProvider.System);
        var searches = new RedisSearchStore(redis, keys);
        var bus = control.Services.GetRequiredService<IBus>();
        var runs = new List<Run>();
        double defaultF1 = double.NaN, defaultSeconds = double.NaN, fleetDefaultsF1 = double.NaN;
        try
        {
            // One trainer with libtorch's default threads (every core), then one and two trainers with one thread each.
            foreach (var (trainers, oneThread) in new[] { (1, false), (1, true), (2, true) })
            {
                var processes = new List<Process>();
                try
                {
                    for (var i = 0; i < trainers; i++)
                    {
                        var environment = new Dictionary<string, string>
                        {
                            ["RABBITMQ_URL"] = broker.Url, ["REDIS_URL"] = redisUrl, ["Redis__KeyPrefix"] = broker.KeyPrefix,
                            ["Tracking__LocalDirectory"] = directory, ["Training__PollIntervalMs"] = "200",
                        };
                        if (oneThread)
                            environment["OMP_NUM_THREADS"] = "1"; // one libtorch thread per trainer
                        processes.Add(await WorkerProcesses.StartAsync(dll, $"training-{trainers}-{i + 1}{(oneThread ? "" : "-all-threads")}", environment, log));
                    }

                    if (trainers == 1 && !oneThread)
                    {
                        log($"the demo recipe as one training request ({epochs} epochs, one seed)…");
                        var (result, seconds) = await RequestAsync(bus, jobs, null);
                        defaultF1 = result.Metrics["validation_macro_f1"];
                        defaultSeconds = seconds;
                        log($"default recipe: validation macro-F1 {defaultF1:F3} in {seconds:F1} s");
                        // The fleet's own defaults for the searched hyperparameters (hidden 128, learning rate 0.001, window 60), on
                        // the demo recipe's labels: what a search over these dimensions starts from when nobody tuned them.
                        var fleet = new Hyperparameters();
                        log($"the demo recipe with the fleet's defaults for the searched hyperparameters (hidden {fleet.HiddenSize}, learning rate " +
                            $"{fleet.LearningRate}, window {fleet.WindowSize})…");
                        var (untuned, untunedSeconds) = await RequestAsync(bus, jobs, null, new Dictionary<string, double>
                        {
                            ["hiddenSize"] = fleet.HiddenSize, ["learningRate"] = fleet.LearningRate, ["windowSize"] = fleet.WindowSize,
                        });
                        fleetDefaultsF1 = untuned.Metrics["validation_macro_f1"];
                        log($"fleet defaults: validation macro-F1 {fleetDefaultsF1:F3} in {untunedSeconds:F1} s");
                    }

                    log($"{trials}-trial search with {trainers} Training process(es), {(oneThread ? "one libtorch thread each" : "libtorch's default threads")}…");
                    var published = DateTimeOffset.UtcNow;
                    var (completed, wall) = await RequestAsync(bus, jobs, Search());
                    var outcomes = (await searches.GetTrialsAsync(completed.RequestId)).Values
                        .Select(json => JsonDocument.Parse(json).RootElement).Select(o => new Trial(o.GetProperty("trial").GetInt32(),
                            o.GetProperty("status").GetString()!,
                            string.Join(' ', o.GetProperty("values").EnumerateObject().Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Value.GetDouble():G4}"))),
                            o.GetProperty("epochs").GetInt32(),
                            o.TryGetProperty("validationMacroF1", out var f1) && f1.ValueKind == JsonValueKind.Number ? f1.GetDouble() : null,
                            o.GetProperty("durationSeconds").GetDouble(), o.GetProperty("startedAt").GetDateTimeOffset(), o.GetProperty("trainer").GetString()!))
                        .OrderBy(t => t.Index).ToList();
                    var best = outcomes.Where(t => t.ValidationMacroF1 is not null).MaxBy(t => t.ValidationMacroF1);
                    var run = new Run(trainers, oneThread ? 1 : TorchSharp.torch.get_num_threads(), wall, outcomes.Sum(t => t.Seconds), outcomes.Count(t => t.Status == "completed"),
                        outcomes.Count(t => t.Status == "stopped"), outcomes.Count(t => t.Status == "failed"), best, outcomes,
                        (outcomes.Min(t => t.StartedAt) - published).TotalSeconds, (published + TimeSpan.FromSeconds(wall) - outcomes.Max(t => t.EndedAt)).TotalSeconds);
                    log($"{trainers} trainer(s): {wall:F1} s wall, trials {run.MeanTrialSeconds:F1} s each on average ({run.Completed} completed, " +
                        $"{run.Stopped} stopped, {run.Failed} failed), {run.Concurrency:F2} at once; hand-off {run.HandOffSeconds:F2} s per trial, first trial after " +
                        $"{run.FirstTrialSeconds:F2} s, selection {run.SelectionSeconds:F2} s; best trial {best?.Index} " +
                        $"({best?.Values}) validation macro-F1 {best?.ValidationMacroF1:F3}");
                    runs.Add(run);
                }
                finally
                {
                    WorkerProcesses.StopAll(processes);
                }
            }

            await control.StopAsync();
            return new Figures(runs, defaultF1, defaultSeconds, fleetDefaultsF1, Environment.ProcessorCount, candles, Search(), Recipe());
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Publishes a training request (a search when <paramref name="search"/> is set) and waits for its job's stored result.</summary>
    async Task<(TrainingCompleted Result, double Seconds)> RequestAsync(IBus bus, ITrainingJobStore jobs, SearchRequest? search,
        IReadOnlyDictionary<string, double>? overrides = null)
    {
        var recipe = Recipe();
        foreach (var (name, value) in overrides ?? new Dictionary<string, double>())
            recipe[name] = JsonSerializer.SerializeToElement(value);
        var request = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval, Reason = "benchmark",
            Hyperparameters = recipe, Search = search,
        };
        var clock = Stopwatch.StartNew();
        await bus.Publish(request);
        while (clock.Elapsed < TimeSpan.FromMinutes(30))
        {
            if (await jobs.GetAsync(request.RequestId) is { } job)
            {
                if (job.Status == JobStatus.Failed)
                    throw new InvalidOperationException($"request {request.RequestId} failed: {job.Error}");
                if (job.ResultJson is { } result)
                    return (JsonSerializer.Deserialize<TrainingCompleted>(result, ContractJson.Options)!, clock.Elapsed.TotalSeconds);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"request {request.RequestId} did not complete within 30 minutes");
    }
}
