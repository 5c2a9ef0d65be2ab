using System.CommandLine;
using System.Text.Json;
using NeuralTrade.Events.Benchmarks;
using Spectre.Console;

var messages = new Option<int>("--messages") { Description = "Timed messages per scenario.", DefaultValueFactory = _ => 3_000 };
var batch = new Option<int>("--batch-size") { Description = "Candles per message.", DefaultValueFactory = _ => 100 };
var publishers = new Option<int>("--publishers") { Description = "Publishes in flight (each awaits its confirm).", DefaultValueFactory = _ => 64 };
var output = new Option<FileInfo>("--out")
{
    Description = "Where to write the figures as JSON.",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "benchmarks", "ingest.json")),
};

var ingest = new Command("ingest", "Ingest candles/s through RabbitMQ and Redis vs bare MassTransit publish→consume in the same run. "
    + "Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL (deploy/benchmark.sh sets them).")
{
    messages, batch, publishers, output,
};
ingest.SetAction(async (parse, cancellationToken) =>
{
    string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
        ? v
        : throw new InvalidOperationException($"{name} is not set; run deploy/benchmark.sh, or start the services and export what `deploy/services.sh env` prints.");
    var run = new IngestThroughput(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(messages), parse.GetValue(batch),
        parse.GetValue(publishers));
    var (bare, result) = await run.RunAsync();

    const double target = 50_000;
    var ratio = result.CandlesPerSecond / bare.CandlesPerSecond;
    var table = new Table().AddColumns("scenario", "messages", "candles", "seconds", "candles/s");
    foreach (var r in new[] { bare, result })
        table.AddRow(r.Scenario, r.Messages.ToString("N0"), r.Candles.ToString("N0"), r.Seconds.ToString("F2"), r.CandlesPerSecond.ToString("N0"));
    AnsiConsole.Write(table);
    AnsiConsole.MarkupLine($"ingest / bare = [bold]{ratio:F2}[/]; ingest {result.CandlesPerSecond:N0} candles/s vs target {target:N0}: "
        + (result.CandlesPerSecond >= target ? "[green]met[/]" : "[red]not met[/]"));

    var file = parse.GetValue(output)!;
    file.Directory?.Create();
    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(new
    {
        benchmark = "ingest",
        machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        batchSize = parse.GetValue(batch),
        publishers = parse.GetValue(publishers),
        bare = new { bare.Messages, bare.Candles, bare.Seconds, bare.CandlesPerSecond },
        ingest = new { result.Messages, result.Candles, result.Seconds, result.CandlesPerSecond },
        ratio,
        targetCandlesPerSecond = target,
        met = result.CandlesPerSecond >= target,
    }, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    AnsiConsole.MarkupLine($"figures written to {Markup.Escape(file.FullName)}");
    return 0;
});

var candles = new Option<int>("--candles") { Description = "Simulated candles to train on.", DefaultValueFactory = _ => 4_000 };
var epochs = new Option<int>("--epochs") { Description = "Epochs per timed run (early stopping off).", DefaultValueFactory = _ => 3 };
var rounds = new Option<int>("--rounds") { Description = "Alternated bare/worker rounds; the best of each is reported.", DefaultValueFactory = _ => 3 };
var trainingOut = new Option<FileInfo>("--out")
{
    Description = "Where to write the figures as JSON.",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "benchmarks", "training.json")),
};
var training = new Command("training", "Training samples/s of the worker's loop vs a bare TorchSharp loop over the same model, data and batch, "
    + "and resident memory across epochs. In process; needs no services.")
{
    candles, epochs, rounds, trainingOut,
};
training.SetAction(async (parse, cancellationToken) =>
{
    var hp = new NeuralTrade.Events.Modeling.Hyperparameters();
    var run = new TrainingThroughput(parse.GetValue(candles), parse.GetValue(epochs), parse.GetValue(rounds), hp);
    var (bare, worker, memory) = run.Run(line => AnsiConsole.MarkupLine(Markup.Escape(line)));

    const double target = 0.9;
    var ratio = worker.SamplesPerSecond / bare.SamplesPerSecond;
    var table = new Table().AddColumns("scenario", "epochs", "samples", "seconds", "samples/s");
    foreach (var r in new[] { bare, worker })
        table.AddRow(r.Scenario, r.Epochs.ToString(), r.Samples.ToString("N0"), r.Seconds.ToString("F2"), r.SamplesPerSecond.ToString("N0"));
    AnsiConsole.Write(table);
    AnsiConsole.MarkupLine($"worker / bare = [bold]{ratio:F2}[/] vs target {target:F2}: " + (ratio >= target ? "[green]met[/]" : "[red]not met[/]"));
    AnsiConsole.MarkupLine($"resident memory after epoch 1 {memory.ResidentAfterFirstEpoch / 1048576.0:N0} MiB, at the end {memory.ResidentAtEnd / 1048576.0:N0} MiB "
        + $"(growth {memory.GrowthAfterFirstEpoch:P1}), peak {memory.PeakResident / 1048576.0:N0} MiB");

    var file = parse.GetValue(trainingOut)!;
    file.Directory?.Create();
    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(new
    {
        benchmark = "training",
        machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        hyperparameters = hp.ToDictionary(),
        candles = parse.GetValue(candles),
        bare = new { bare.Epochs, bare.Samples, bare.Seconds, bare.SamplesPerSecond },
        worker = new { worker.Epochs, worker.Samples, worker.Seconds, worker.SamplesPerSecond },
        ratio,
        targetRatio = target,
        met = ratio >= target,
        memory = new { memory.ResidentAfterFirstEpoch, memory.ResidentAtEnd, memory.PeakResident, memory.GrowthAfterFirstEpoch },
    }, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    AnsiConsole.MarkupLine($"figures written to {Markup.Escape(file.FullName)}");
    return 0;
});

var requestCount = new Option<int>("--requests") { Description = "Requests per timed scenario.", DefaultValueFactory = _ => 3_000 };
var inFlight = new Option<int>("--in-flight") { Description = "Requests in flight under load.", DefaultValueFactory = _ => 64 };
var memoryCount = new Option<int>("--memory-predictions") { Description = "Predictions between the two memory readings.", DefaultValueFactory = _ => 100_000 };
var inferenceOut = new Option<FileInfo>("--out")
{
    Description = "Where to write the figures as JSON.",
    DefaultValueFactory = _ => new FileInfo(Path.Combine("artifacts", "benchmarks", "inference.json")),
};
var inference = new Command("inference", "Inference through RabbitMQ and Redis vs the in-process forward pass: rate, latency, hot swaps, memory. "
    + "Needs RABBITMQ_URL, RABBITMQ_MANAGEMENT_URL and REDIS_URL (deploy/benchmark.sh sets them).")
{
    requestCount, inFlight, memoryCount, inferenceOut,
};
inference.SetAction(async (parse, cancellationToken) =>
{
    string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
        ? v
        : throw new InvalidOperationException($"{name} is not set; run deploy/benchmark.sh inference.");
    var run = new InferenceThroughput(Env("RABBITMQ_URL"), Env("RABBITMQ_MANAGEMENT_URL"), Env("REDIS_URL"), parse.GetValue(requestCount),
        parse.GetValue(inFlight), parse.GetValue(memoryCount), line => AnsiConsole.MarkupLine(Markup.Escape(line)));
    var f = await run.RunAsync();

    var table = new Table().AddColumns("figure", "value", "bound", "ratio", "target", "");
    string Mark(bool ok) => ok ? "[green]met[/]" : "[red]not met[/]";
    var rateRatio = f.Sustained.PerSecond / f.BoundPerSecond;
    var lightRatio = f.Light.P99Ms / f.SingleP99Ms;
    var swapRatio = f.Swapping.P99Ms / f.Sustained.P99Ms;
    var growth = (double)(f.ResidentAfter - f.ResidentBefore) / f.ResidentBefore;
    var transportRatio = f.Sustained.PerSecond / f.Transport.PerSecond;
    table.AddRow("transport only (same messages, no model)", f.Transport.PerSecond.ToString("N0"), "", "", "", "");
    table.AddRow("fleet predictions/s vs transport", f.Sustained.PerSecond.ToString("N0"), $"{f.Transport.PerSecond:N0} (transport)", transportRatio.ToString("F2"), "", "");
    table.AddRow("fleet predictions/s (batching)", f.Sustained.PerSecond.ToString("N0"), $"{f.BoundPerSecond:N0} (in-process batch 32)", rateRatio.ToString("F2"), "≥ 0.70", Mark(rateRatio >= 0.7));
    table.AddRow("light-load p50 / p99 ms", $"{f.Light.P50Ms:F2} / {f.Light.P99Ms:F2}", $"{f.SingleP99Ms:F2} (single forward p99)", lightRatio.ToString("F2"), "≤ 3.0", Mark(lightRatio <= 3));
    table.AddRow("swapping: failed / lost", $"{f.Swapping.Failed} / {f.Swapping.Lost}", "", "", "0 / 0", Mark(f.Swapping.Failed == 0 && f.Swapping.Lost == 0));
    table.AddRow("swapping: p99 ms", f.Swapping.P99Ms.ToString("F1"), $"{f.Sustained.P99Ms:F1} (steady p99)", swapRatio.ToString("F2"), "≤ 2.0", Mark(swapRatio <= 2));
    table.AddRow($"resident MiB over {f.MemoryPredictions:N0} predictions", $"{f.ResidentBefore / 1048576.0:N0} → {f.ResidentAfter / 1048576.0:N0}", "", growth.ToString("P1"), "< 5%", Mark(growth < 0.05));
    AnsiConsole.Write(table);

    var file = parse.GetValue(inferenceOut)!;
    file.Directory?.Create();
    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(new
    {
        benchmark = "inference",
        machine = new { Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
        figures = f,
        ratios = new { rateRatio, transportRatio, lightRatio, swapRatio, growth },
    }, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    AnsiConsole.MarkupLine($"figures written to {Markup.Escape(file.FullName)}");
    return 0;
});

var root = new RootCommand("NeuralTrade.Events benchmarks: each figure against a bound measured in the same run.") { ingest, training, inference };
return await root.Parse(args).InvokeAsync();
