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

var root = new RootCommand("NeuralTrade.Events benchmarks: each figure against a bound measured in the same run.") { ingest };
return await root.Parse(args).InvokeAsync();
