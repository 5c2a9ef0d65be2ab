using System.CommandLine;
using System.Diagnostics;
using NeuralTrade.Events.Benchmarks;
using Spectre.Console;

if (Console.IsOutputRedirected)
{
    // Piped to a file or CI log: plain text, wide enough for the table.
    AnsiConsole.Profile.Capabilities.Ansi = false;
    AnsiConsole.Profile.Width = 200;
}

var messages = new Option<int>("--messages") { Description = "Ingest: timed messages per scenario.", DefaultValueFactory = _ => 3_000 };
var batch = new Option<int>("--batch-size") { Description = "Ingest: candles per message.", DefaultValueFactory = _ => 100 };
var publishers = new Option<int>("--publishers") { Description = "Ingest: publishes in flight (each awaits its confirm).", DefaultValueFactory = _ => 64 };
var candles = new Option<int>("--candles") { Description = "Training: simulated candles to train on.", DefaultValueFactory = _ => 4_000 };
var epochs = new Option<int>("--epochs") { Description = "Training: epochs per timed run (early stopping off).", DefaultValueFactory = _ => 3 };
var rounds = new Option<int>("--rounds")
{
    Description = "Training: alternated bare/worker rounds; inference: alternated in-process/transport/fleet rounds. The best of each is reported.",
    DefaultValueFactory = _ => 3,
};
var requestCount = new Option<int>("--requests") { Description = "Inference: requests per timed scenario.", DefaultValueFactory = _ => 3_000 };
var inFlight = new Option<int>("--in-flight") { Description = "Inference: requests in flight under load.", DefaultValueFactory = _ => 64 };
var seriesCounts = new Option<int[]>("--series")
{
    Description = "Stream: the numbers of series whose closes arrive together (one run each).", DefaultValueFactory = _ => [10, 100, 500],
    AllowMultipleArgumentsPerToken = true,
};
var oneMessage = new Option<bool>("--one-message-per-close")
{
    Description = "Stream: the feed sends each close as one market.candles holding every series' candle, instead of one message per series.",
};
// The served model's size: the default is the "fast" case; a larger one (e.g. --hidden-size 256 --layers 3) is the slow
// case, a model that costs more than the message path, as the default does on a slower CPU.
var hiddenSize = new Option<int>("--hidden-size")
{
    Description = "Inference and stream: hidden size of the served model (default: the Hyperparameters default, 128).",
    DefaultValueFactory = _ => new NeuralTrade.Events.Modeling.Hyperparameters().HiddenSize,
};
var layers = new Option<int>("--layers")
{
    Description = "Inference and stream: LSTM layers of the served model (default: the Hyperparameters default, 2).",
    DefaultValueFactory = _ => new NeuralTrade.Events.Modeling.Hyperparameters().NumLayers,
};
var withMonitor = new Option<bool>("--monitor")
{
    Description = "Stream: Monitor runs beside Ingest and Inference (as deployed) and its check duration per data.ingested is reported.",
};
var instanceCounts = new Option<int[]>("--instances")
{
    Description = "Scale: Inference instance counts (processes) to measure, one after another.", AllowMultipleArgumentsPerToken = true,
    DefaultValueFactory = _ => [1, 2, 3],
};
var closeCount = new Option<int>("--closes") { Description = "Stream: timed closes per round and series count.", DefaultValueFactory = _ => 10 };
var searchTrials = new Option<int>("--trials") { Description = "Search: trials in the search.", DefaultValueFactory = _ => 16 };
var searchEpochs = new Option<int>("--search-epochs") { Description = "Search: epochs of the recipe (each trial's budget).", DefaultValueFactory = _ => 12 };
var searchGrace = new Option<int>("--grace") { Description = "Search: ASHA's grace epochs (η is 3).", DefaultValueFactory = _ => 2 };
var memoryCount = new Option<int>("--memory-predictions") { Description = "Inference: predictions between the two memory readings.", DefaultValueFactory = _ => 100_000 };
Option<FileInfo> Output(string name) => new("--out")
{
    Description = "Where to write the figures as JSON.",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "benchmarks", $"{name}.json")),
};

// libtorch's intra-op thread count before any benchmark changes it (the Inference host sets its own): training runs with it.
var torchDefaultThreads = TorchSharp.torch.get_num_threads();

static string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
    ? v
    : throw new InvalidOperationException($"{name} is not set; run deploy/benchmark.sh, or start the services and export what `deploy/services.sh env` prints.");

static void Log(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));

// The model the inference and stream benchmarks train for one epoch and serve.
NeuralTrade.Events.Modeling.Hyperparameters ServedModel(ParseResult parse) =>
    new() { Epochs = 1, MinSamples = 500, HiddenSize = parse.GetValue(hiddenSize), NumLayers = parse.GetValue(layers) };

async Task<SuiteReport> IngestAsync(ParseResult parse)
{
    var run = new IngestThroughput(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(messages), parse.GetValue(batch),
        parse.GetValue(publishers));
    var (bare, result) = await run.RunAsync();
    const double target = 50_000;
    var ratio = result.CandlesPerSecond / bare.CandlesPerSecond;
    return new SuiteReport("ingest",
    [
        new ReportRow("ingest candles/s (validate, store, announce)", result.CandlesPerSecond.ToString("N0"),
            $"{bare.CandlesPerSecond:N0} (bare MassTransit publish→consume)", ratio, $"≥ {target:N0}/s", result.CandlesPerSecond >= target),
    ], new
    {
        batchSize = parse.GetValue(batch), publishers = parse.GetValue(publishers),
        bare = new { bare.Messages, bare.Candles, bare.Seconds, bare.CandlesPerSecond },
        ingest = new { result.Messages, result.Candles, result.Seconds, result.CandlesPerSecond },
        ratio, targetCandlesPerSecond = target, met = result.CandlesPerSecond >= target,
    });
}

SuiteReport Training(ParseResult parse)
{
    var hp = new NeuralTrade.Events.Modeling.Hyperparameters();
    TorchSharp.torch.set_num_threads(torchDefaultThreads); // as the Training worker runs: libtorch's default
    var run = new TrainingThroughput(parse.GetValue(candles), parse.GetValue(epochs), parse.GetValue(rounds), hp);
    var (bare, worker, memory) = run.Run(Log);
    const double target = 0.9;
    var ratio = worker.SamplesPerSecond / bare.SamplesPerSecond;
    return new SuiteReport("training",
    [
        new ReportRow("training samples/s (the worker's loop)", worker.SamplesPerSecond.ToString("N0"), $"{bare.SamplesPerSecond:N0} (bare TorchSharp loop)",
            ratio, "≥ 0.90", ratio >= target),
        new ReportRow("training resident memory, epoch 1 → end", $"{memory.ResidentAfterFirstEpoch / 1048576.0:N0} → {memory.ResidentAtEnd / 1048576.0:N0} MiB",
            $"peak {memory.PeakResident / 1048576.0:N0} MiB", memory.GrowthAfterFirstEpoch, "", null, Percent: true),
    ], new
    {
        hyperparameters = hp.ToDictionary(), candles = parse.GetValue(candles),
        bare = new { bare.Epochs, bare.Samples, bare.Seconds, bare.SamplesPerSecond },
        worker = new { worker.Epochs, worker.Samples, worker.Seconds, worker.SamplesPerSecond },
        ratio, targetRatio = target, met = ratio >= target,
        memory = new { memory.ResidentAfterFirstEpoch, memory.ResidentAtEnd, memory.PeakResident, memory.GrowthAfterFirstEpoch },
    });
}

async Task<SuiteReport> InferenceAsync(ParseResult parse)
{
    var run = new InferenceThroughput(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(requestCount),
        parse.GetValue(inFlight), parse.GetValue(memoryCount), parse.GetValue(rounds), ServedModel(parse), Log);
    var f = await run.RunAsync();
    var m = f.Micro;
    var rateRatio = f.Sustained.PerSecond / f.BoundPerSecond;
    var lightRatio = f.Light.P99Ms / f.SingleP99Ms;
    var swapRatio = f.Swapping.P99Ms / f.Sustained.P99Ms;
    var byReferenceRatio = f.ByReference.PerSecond / f.BoundPerSecond;
    var byReferenceLightRatio = f.ByReferenceLight.P99Ms / f.SingleP99Ms;
    var swapRate = f.Swapping.PerSecond / f.Sustained.PerSecond;
    var growth = (double)(f.ResidentAfter - f.ResidentBefore) / f.ResidentBefore;
    var single = $"{f.SingleP99Ms:F2} ms (in-process single forward p99)";
    var served = ServedModel(parse);
    List<ReportRow> rows =
    [
        new("served model", $"window {served.WindowSize}, hidden {served.HiddenSize} × {served.NumLayers} layers", "", null, "", null),
        new("in-process forward, batch 32 (BenchmarkDotNet)", $"{m.Batch32PerSecond:N0}/s ({m.Batch32MeanMs:F2} ms, {m.Batch32Threads} torch threads)", "", null,
            "", null),
        new($"in-process forward, batch 32 (best of {f.Rounds.Count} rounds)", $"{f.RoundBoundPerSecond:N0}/s",
            string.Join(" · ", f.Rounds.Select(r => r.BoundPerSecond.ToString("N0"))), null, "", null),
        new("in-process forward, single (BenchmarkDotNet)", $"p50 {m.SingleP50Ms:F2} / p99 {m.SingleP99Ms:F2} ms", $"mean {m.SingleMeanMs:F2} ms", null, "", null),
        new("features of one window / read+validate 100 candles", $"{m.FeaturesMeanUs:F0} µs / {m.ValidateMeanUs:F0} µs", "", null, "", null),
        new("transport only (same messages, echo, no model)", $"{f.Transport.PerSecond:N0}/s", "", null, "", null),
        new($"fleet predictions/s, batching (best of {f.Rounds.Count} rounds)", f.Sustained.PerSecond.ToString("N0"),
            $"{f.BoundPerSecond:N0} (in-process batch 32, the higher of the two)", rateRatio, "≥ 0.70", rateRatio >= 0.7),
        // Each round against its own in-process bound: the spread says how much of the best is luck of the moment.
        new("fleet / in-process, round by round", string.Join(" · ", f.Rounds.Select(r => r.Sustained.PerSecond.ToString("N0"))),
            string.Join(" · ", f.Rounds.Select(r => r.BoundPerSecond.ToString("N0"))), Median(f.Rounds.Select(r => r.Sustained.PerSecond / r.BoundPerSecond)),
            "(median)", null),
        new("fleet predictions/s vs transport only", f.Sustained.PerSecond.ToString("N0"), $"{f.Transport.PerSecond:N0} (transport)",
            f.Sustained.PerSecond / f.Transport.PerSecond, "", null),
        // Where transport and model share the same cores, each prediction costs the CPU of both: the rate cannot exceed
        // 1 / (1/transport + 1/model). A fleet near this figure is limited by the machine, not by waiting or batching.
        new("fleet predictions/s vs shared-CPU limit 1/(1/transport + 1/model)", f.Sustained.PerSecond.ToString("N0"),
            $"{SharedLimit(f):N0} (both on the same cores)", f.Sustained.PerSecond / SharedLimit(f), "", null),
        new("light load (1 in flight) p50 / p99", $"{f.Light.P50Ms:F2} / {f.Light.P99Ms:F2} ms", single, lightRatio, "≤ 3.0", lightRatio <= 3),
        // The anchor: what the message path adds per prediction, next to the same request's round trip through the
        // broker to a consumer that only answers (two deliveries, two confirmed publishes, no model).
        new("message path per prediction at light load: fleet p50 − single-forward p50", $"{f.OverheadP50Ms:F2} ms",
            $"{f.TransportLight.P50Ms:F2} ms (same request's RabbitMQ round trip to an echo, p50; p99 {f.TransportLight.P99Ms:F2})",
            f.OverheadP50Ms / f.TransportLight.P50Ms, "", null),
        new($"by reference (series + asOf, window read from Redis): predictions/s (best of {f.ByReferenceRounds.Count})",
            $"{f.ByReference.PerSecond:N0} (p99 {f.ByReference.P99Ms:F1} ms; failed {f.ByReference.Failed}, lost {f.ByReference.Lost})",
            $"{f.BoundPerSecond:N0} (in-process batch 32)", byReferenceRatio, "≥ 0.70", byReferenceRatio >= 0.7),
        new("by reference vs by value (28 KB windows)", f.ByReference.PerSecond.ToString("N0"), $"{f.Sustained.PerSecond:N0} (by value)",
            f.ByReference.PerSecond / f.Sustained.PerSecond, "", null),
        new("by reference, light load p50 / p99", $"{f.ByReferenceLight.P50Ms:F2} / {f.ByReferenceLight.P99Ms:F2} ms", single, byReferenceLightRatio, "≤ 3.0",
            byReferenceLightRatio <= 3),
    ];
    foreach (var level in f.Levels)
    {
        var ratio = level.Figure.P99Ms / f.SingleP99Ms;
        rows.Add(new ReportRow($"{level.Fraction:P0} of capacity ({level.OfferedPerSecond:N0}/s offered) p50 / p99",
            $"{level.Figure.P50Ms:F2} / {level.Figure.P99Ms:F2} ms", single, ratio, level.Fraction <= 0.1 ? "≤ 3.0" : "",
            level.Fraction <= 0.1 ? ratio <= 3 : null));
    }

    rows.Add(new ReportRow("swapping every 2 s: failed / lost", $"{f.Swapping.Failed} / {f.Swapping.Lost}", "", null, "0 / 0",
        f.Swapping.Failed == 0 && f.Swapping.Lost == 0));
    rows.Add(new ReportRow("swapping every 2 s: predictions/s", f.Swapping.PerSecond.ToString("N0"), $"{f.Sustained.PerSecond:N0} (steady)", swapRate, "", null));
    rows.Add(new ReportRow("swapping every 2 s: p99", $"{f.Swapping.P99Ms:F1} ms", $"{f.Sustained.P99Ms:F1} ms (steady p99)", swapRatio, "≤ 2.0", swapRatio <= 2));
    rows.Add(new ReportRow($"resident memory over {f.MemoryPredictions:N0} predictions", $"{f.ResidentBefore / 1048576.0:N0} → {f.ResidentAfter / 1048576.0:N0} MiB",
        "", growth, "< 5%", growth < 0.05, Percent: true));
    if (f.ResidentReadings.Count >= 2)
    {
        // After the first fifth the pools and allocator arenas are warm: growth from there on is what grows with the count.
        var first = f.ResidentReadings[0];
        var steadyGrowth = (double)(f.ResidentReadings[^1] - first) / first;
        rows.Add(new ReportRow($"resident memory, {f.MemoryPredictions / f.ResidentReadings.Count:N0} → {f.MemoryPredictions:N0} predictions",
            $"{first / 1048576.0:N0} → {f.ResidentReadings[^1] / 1048576.0:N0} MiB", "", steadyGrowth, "", null, Percent: true));
    }

    return new SuiteReport("inference", rows, new
    {
        model = served.ToDictionary(),
        figures = f,
        rounds = f.Rounds,
        ratios = new
        {
            rateRatio, roundRatios = f.Rounds.Select(r => r.Sustained.PerSecond / r.BoundPerSecond).ToArray(), transportRatio = f.Sustained.PerSecond / f.Transport.PerSecond, sharedLimit = SharedLimit(f),
            sharedLimitRatio = f.Sustained.PerSecond / SharedLimit(f), lightRatio, overheadP50Ms = f.OverheadP50Ms, transportLightP50Ms = f.TransportLight.P50Ms, byReferenceRatio, byReferenceLightRatio, swapRatio, swapRate, growth,
            levels = f.Levels.Select(l => new { l.Fraction, p99Ratio = l.Figure.P99Ms / f.SingleP99Ms }).ToArray(),
        },
    });
}

async Task<SuiteReport> StreamAsync(ParseResult parse)
{
    var run = new StreamThroughput(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(seriesCounts)!, parse.GetValue(closeCount),
        parse.GetValue(rounds), parse.GetValue(oneMessage), ServedModel(parse), Log, parse.GetValue(withMonitor));
    var f = await run.RunAsync();
    var served = ServedModel(parse);
    List<ReportRow> rows =
    [
        new("served model", $"window {served.WindowSize}, hidden {served.HiddenSize} × {served.NumLayers} layers; " +
            (parse.GetValue(oneMessage) ? "one market.candles per close" : "one market.candles per series"), "", null, "", null),
        new("in-process single forward (1 torch thread) p50 / p99", $"{f.SingleForwardP50Ms:F2} / {f.SingleForwardP99Ms:F2} ms", "", null, "", null),
        new("RabbitMQ round trip (persistent, confirmed, 1 in flight) p50 / p99", $"{f.BrokerRoundTripP50Ms:F3} / {f.BrokerRoundTripP99Ms:F3} ms", "", null, "", null),
    ];
    foreach (var s in f.Counts)
    {
        var ratio = s.BestPerSecond / s.BestBoundPerSecond;
        rows.Add(new($"stream, {s.Series} series a close: predictions/s (best of {s.Rounds.Count} rounds)", s.BestPerSecond.ToString("N0"),
            $"{s.BestBoundPerSecond:N0} (in process, {s.BestBoundSetting})", ratio, "≥ 0.70", ratio >= 0.7));
        rows.Add(new($"stream, {s.Series} series: close → prediction p50 / p99 / max", $"{s.P50Ms:F1} / {s.P99Ms:F1} / {s.MaxMs:F1} ms",
            $"{s.Predictions:N0} predictions, {s.Lost} lost", null, "0 lost", s.Lost == 0));
        rows.Add(new($"stream, {s.Series} series: fleet / in process, round by round",
            string.Join(" · ", s.Rounds.Select(r => r.PerSecond.ToString("N0"))), string.Join(" · ", s.Rounds.Select(r => r.BoundPerSecond.ToString("N0"))),
            Median(s.Rounds.Select(r => r.PerSecond / r.BoundPerSecond)), "(median)", null));
        rows.Add(new($"stream, {s.Series} series: fleet vs in-process features + forward", s.BestPerSecond.ToString("N0"),
            $"{s.Rounds.Max(r => r.FeaturesAndForwardPerSecond):N0} (features from candles + forward, 2 threads)",
            s.BestPerSecond / s.Rounds.Max(r => r.FeaturesAndForwardPerSecond), "", null));
        if (s.Monitor is { } m)
            rows.Add(new($"stream, {s.Series} series: Monitor's check per data.ingested p50 / p99 / max", $"{m.P50Ms:F2} / {m.P99Ms:F2} / {m.MaxMs:F2} ms",
                $"{m.Checks:N0} checks", null, "", null));
    }

    foreach (var reading in f.Serving)
    {
        rows.Add(new($"serving {reading.Models} champions: resident memory", $"{reading.ResidentMiB:N0} MiB ({(reading.ResidentMiB - f.ResidentBeforeModelsMiB) / reading.Models:N2} MiB a model)",
            $"{f.ResidentBeforeModelsMiB:N0} MiB before the first", null, "", null));
        rows.Add(new($"serving {reading.Models} champions: swap (read, verify, load) p50 / p99 / max", $"{reading.SwapP50Ms:F1} / {reading.SwapP99Ms:F1} / {reading.SwapMaxMs:F1} ms",
            "the swaps since the previous reading", null, "", null));
    }

    return new SuiteReport("stream", rows, new { model = served.ToDictionary(), figures = f });
}

async Task<SuiteReport> ScaleAsync(ParseResult parse)
{
    var run = new InferenceScaling(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(instanceCounts)!,
        parse.GetValue(requestCount), parse.GetValue(inFlight), ServedModel(parse), Log);
    var f = await run.RunAsync();
    var served = ServedModel(parse);
    var one = f.Steps[0];
    List<ReportRow> rows =
    [
        new("served model", $"window {served.WindowSize}, hidden {served.HiddenSize} × {served.NumLayers} layers", "", null, "", null),
        new("machine", $"{f.Cores} cores shared by the broker, Redis, the load generator and every instance", "", null, "", null),
    ];
    foreach (var step in f.Steps)
    {
        rows.Add(new($"{step.Instances} Inference instance(s): predictions/s ({parse.GetValue(inFlight)} in flight)",
            $"{step.Sustained.PerSecond:N0} (p50 {step.Sustained.P50Ms:F1} / p99 {step.Sustained.P99Ms:F1} ms; failed {step.Sustained.Failed}, lost {step.Sustained.Lost})",
            $"{one.Sustained.PerSecond:N0} (1 instance)", step.Sustained.PerSecond / one.Sustained.PerSecond, "", null));
        rows.Add(new($"{step.Instances} Inference instance(s): light load p50 / p99", $"{step.Light.P50Ms:F2} / {step.Light.P99Ms:F2} ms",
            $"{one.Light.P99Ms:F2} ms (1 instance, p99)", step.Light.P99Ms / one.Light.P99Ms, "", null));
        rows.Add(new($"{step.Instances} Inference instance(s): resident memory each", string.Join(" · ", step.ResidentMiB.Select(m => $"{m:N0} MiB")),
            "", null, "", null));
    }

    return new SuiteReport("scale", rows, new { model = served.ToDictionary(), figures = f });
}

async Task<SuiteReport> SearchAsync(ParseResult parse)
{
    var run = new SearchBenchmark(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(searchTrials), parse.GetValue(candles),
        parse.GetValue(searchEpochs), parse.GetValue(searchGrace), Log);
    var f = await run.RunAsync();
    var one = f.Runs.Where(r => r.Trainers == 1).MinBy(r => r.WallSeconds)!;
    List<ReportRow> rows =
    [
        new("search", $"{f.Search.Trials} trials, random over {string.Join(", ", f.Search.Space.Keys)}, ASHA grace {f.Search.EarlyStopping!.GraceEpochs} η " +
            $"{f.Search.EarlyStopping.ReductionFactor}, {parse.GetValue(searchEpochs)} epochs, demo market {f.Candles:N0} candles", "", null, "", null),
        new("machine", $"{f.Cores} cores shared by the broker, Redis, the benchmark and every trainer", "", null, "", null),
    ];
    foreach (var r in f.Runs)
    {
        var who = $"{r.Trainers} trainer process(es), {r.TorchThreads} libtorch thread(s) each";
        rows.Add(new($"{who}: search wall time", $"{r.WallSeconds:F1} s ({r.Completed} completed, {r.Stopped} stopped, {r.Failed} failed)",
            $"{one.WallSeconds:F1} s (1 trainer, its best)", one.WallSeconds / r.WallSeconds, "", null));
        rows.Add(new($"{who}: trials at once (Σ trial time ÷ wall time)", $"{r.Concurrency:F2}", $"{r.Trainers}",
            r.Concurrency / r.Trainers, "", null));
        rows.Add(new($"{who}: fan-out hand-off per trial (a trainer's gap between trials)", $"{r.HandOffSeconds:F2} s",
            $"{r.MeanTrialSeconds:F1} s (a trial's own time, mean)", r.HandOffSeconds / r.MeanTrialSeconds, "", null));
        rows.Add(new($"{who}: request → first trial / last trial → result", $"{r.FirstTrialSeconds:F2} s / {r.SelectionSeconds:F2} s",
            "", null, "", null));
        rows.Add(new($"{who}: best trial's validation macro-F1", $"{r.Best?.ValidationMacroF1:F3} (trial {r.Best?.Index}: {r.Best?.Values})",
            $"{f.DefaultValidationMacroF1:F3} (the demo recipe, one request)", r.Best?.ValidationMacroF1 / f.DefaultValidationMacroF1, "", null));
        rows.Add(new($"{who}: best trial's validation macro-F1 against the fleet's defaults of the searched hyperparameters", $"{r.Best?.ValidationMacroF1:F3}",
            $"{f.FleetDefaultsValidationMacroF1:F3} (hidden 128, learning rate 0.001, window 60)", r.Best?.ValidationMacroF1 / f.FleetDefaultsValidationMacroF1, "", null));
    }

    return new SuiteReport("search", rows, f);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static double SharedLimit(InferenceThroughput.Figures f) => 1 / (1 / f.Transport.PerSecond + 1 / f.BoundPerSecond);

async Task<int> WriteAsync(FileInfo file, IReadOnlyList<SuiteReport> reports, TimeSpan elapsed, CancellationToken cancellationToken)
{
    var table = new Table().AddColumns("figure", "value", "bound (same run)", "ratio", "target", "");
    foreach (var report in reports)
        foreach (var row in report.Rows)
            table.AddRow(Markup.Escape(row.Figure), Markup.Escape(row.Value), Markup.Escape(row.Bound), row.RatioText, Markup.Escape(row.Target),
                row.Met switch { true => "[green]met[/]", false => "[red]not met[/]", null => "" });
    AnsiConsole.Write(table);
    await SuiteReport.WriteAsync(file, reports, elapsed, cancellationToken);
    AnsiConsole.MarkupLine($"figures written to {Markup.Escape(file.FullName)} ({elapsed.TotalMinutes:F1} min)");
    return 0;
}

Command Single(string name, string description, Func<ParseResult, Task<SuiteReport>> run, params Option[] options)
{
    var output = Output(name);
    var command = new Command(name, description) { output };
    foreach (var option in options)
        command.Options.Add(option);
    command.SetAction(async (parse, cancellationToken) =>
    {
        var clock = Stopwatch.StartNew();
        var report = await run(parse);
        return await WriteAsync(parse.GetValue(output)!, [report], clock.Elapsed, cancellationToken);
    });
    return command;
}

var ingest = Single("ingest", "Ingest candles/s through RabbitMQ and Redis vs bare MassTransit publish→consume in the same run. "
    + "Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL (deploy/benchmark.sh sets them).", IngestAsync, messages, batch, publishers);
var training = Single("training", "Training samples/s of the worker's loop vs a bare TorchSharp loop over the same model, data and batch, "
    + "and resident memory across epochs. In process; needs no services.", p => Task.FromResult(Training(p)), candles, epochs, rounds);
var inference = Single("inference", "Inference through RabbitMQ and Redis vs the in-process forward pass, in alternated rounds: rate, latency at "
    + "light load and at 10/50/90% of capacity, hot swaps, memory. Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL.", InferenceAsync,
    requestCount, inFlight, memoryCount, rounds, hiddenSize, layers);

var stream = Single("stream", "The fleet's main traffic: closes of N series at once (--series 10 100 500) through Ingest and Inference, each series' "
    + "prediction awaited by a subscriber; close → prediction latency and predictions/s against the same predictions in process, in alternated rounds. "
    + "Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL.", StreamAsync, seriesCounts, closeCount, rounds, oneMessage, withMonitor, hiddenSize, layers);

var suiteOutput = Output("suite");
var all = new Command("all", "The whole suite in one run: inference, stream, ingest, training; one table of every figure against its bound, and JSON.")
{
    messages, batch, publishers, candles, epochs, rounds, requestCount, inFlight, memoryCount, seriesCounts, closeCount, oneMessage, withMonitor, hiddenSize, layers, suiteOutput,
};
all.SetAction(async (parse, cancellationToken) =>
{
    var clock = Stopwatch.StartNew();
    List<SuiteReport> reports = [];
    // Inference first: its resident-memory figure should not inherit what training and the ingest hosts left in the process.
    AnsiConsole.Write(new Rule("inference"));
    reports.Add(await InferenceAsync(parse));
    AnsiConsole.Write(new Rule("stream"));
    reports.Add(await StreamAsync(parse));
    AnsiConsole.Write(new Rule("ingest"));
    reports.Add(await IngestAsync(parse));
    AnsiConsole.Write(new Rule("training"));
    reports.Add(Training(parse));
    AnsiConsole.Write(new Rule("suite"));
    return await WriteAsync(parse.GetValue(suiteOutput)!, reports, clock.Elapsed, cancellationToken);
});

var scale = Single("scale", "Inference from 1 to N instances (separate processes, competing for the queue inference) under the same load: rate, "
    + "p50/p99 and resident memory for each count. Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL (deploy/benchmark.sh sets them).",
    ScaleAsync, instanceCounts, requestCount, inFlight, hiddenSize, layers);
var search = Single("search", "A hyperparameter search on the demo market with 1 and then 2 Training processes: wall time, the fan-out's overhead per "
    + "trial against a trial's own time, the best trial's validation macro-F1 against the demo recipe's. Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and "
    + "REDIS_URL.", SearchAsync, searchTrials, searchEpochs, searchGrace, candles);
var root = new RootCommand("NeuralTrade.Events benchmarks: each figure against a bound measured in the same run.") { all, ingest, training, inference, stream, scale, search };
return await root.Parse(args).InvokeAsync();
