using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Reporting;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using Spectre.Console;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary>
/// <c>neuraltrade evaluate</c>: a walk-forward evaluation of a training recipe on a series, here and now (on this
/// machine's CPU, not on the fleet): K rolling-origin folds with purge and embargo, each trained afresh and tested on
/// the next block, pooled with bootstrap intervals against the baselines. Prints the table (or the JSON summary), writes
/// the table, the summary and the plots to <c>--out</c>, and records a parent run with a child run per fold in MLflow
/// (<c>MLFLOW_TRACKING_URI</c>) or locally. Exit code 0 whatever the verdict: a model without an edge is a result.
/// </summary>
internal sealed class EvaluateCommand(NeuralTradeCli cli)
{
    readonly Option<string> _exchange = CliOptions.Exchange();
    readonly Option<string> _symbol = CliOptions.Symbol();
    readonly Option<string> _interval = CliOptions.Interval();
    readonly Option<FileInfo?> _csv = new("--csv") { Description = "Candles from this file (date,open,high,low,close,volume); without it, from the fleet's candle store (REDIS_URL)." };
    readonly Option<DateTimeOffset?> _from = new("--from") { Description = "First openTime to use (RFC 3339); all history when absent." };
    readonly Option<DateTimeOffset?> _to = new("--to") { Description = "Last openTime to use; up to the newest candle when absent." };
    readonly Option<int> _folds = CliOptions.Positive("--folds", "Folds K (default 5).", 5, 50);
    readonly Option<string[]> _set = TrainCommand.SetOption();
    readonly Option<DirectoryInfo?> _out = new("--out") { Description = "Directory for table.txt, summary.json and the PNG plots (default .neuraltrade/evaluate/<series>-<time>)." };
    readonly Option<bool> _json = CliOptions.Json("Print the JSON summary (as summary.json holds it) instead of the table.");

    public Command Build()
    {
        var evaluate = new Command("evaluate",
            "Walk-forward evaluation of a training recipe on a series: K folds, each trained and tested on the next block, with confidence intervals against the baselines.")
        {
            _exchange, _symbol, _interval, _csv, _from, _to, _folds, _set, _out, _json,
        };
        evaluate.SetAction((parse, ct) => cli.Guard(() => EvaluateAsync(parse, ct)));
        return evaluate;
    }

    async Task<int> EvaluateAsync(ParseResult parse, CancellationToken ct)
    {
        var series = new SeriesKey(parse.GetValue(_exchange)!, parse.GetValue(_symbol)!, parse.GetValue(_interval)!);
        var overrides = (parse.GetValue(_set) ?? []).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => TrainCommand.ParseValue(p[1]), StringComparer.Ordinal);
        var hp = Hyperparameters.Apply(overrides, out var problems);
        if (problems.Count > 0)
            throw new CliException("invalid hyperparameters: " + string.Join("; ", problems), ExitCodes.Usage);

        var candles = await ReadCandlesAsync(parse, series, ct);
        var json = parse.GetValue(_json);
        if (!json)
            cli.Console.MarkupLine($"{candles.Count:N0} candles of {Markup.Escape(series.ToString())} from {candles[0].OpenTime:u} to {candles[^1].OpenTime:u}; " +
                $"{parse.GetValue(_folds)} folds");

        var options = new WalkForwardOptions { Folds = parse.GetValue(_folds) };
        WalkForwardReport report;
        try
        {
            report = await Task.Factory.StartNew(() => WalkForward.Run(candles, hp, options, CPU,
                    json ? null : line => cli.Console.MarkupLine($"[grey]{Markup.Escape(line)}[/]"), ct),
                ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception e) when (e is TrainingRequestException or NotEnoughDataException or InvalidOperationException)
        {
            throw new CliException($"cannot evaluate {series}: {e.Message}", ExitCodes.Usage);
        }

        var output = parse.GetValue(_out)
            ?? new DirectoryInfo(Path.Combine(".neuraltrade", "evaluate", $"{ModelNames.For(series)}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmss}"));
        output.Create();
        foreach (var (name, bytes) in WalkForwardRecorder.Artifacts(report))
            await File.WriteAllBytesAsync(Path.Combine(output.FullName, name), bytes, ct);

        var run = await RecordAsync(series, hp, options, report, ct);
        if (json)
        {
            // The summary's own settings: the contract's, and NaN (a fold with nothing to measure) as "NaN".
            cli.Console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(WalkForwardRecorder.Summary(report), WalkForwardRecorder.SummaryJson));
            return ExitCodes.Ok;
        }

        cli.Console.Write(new Text(report.ToTable()));
        cli.Console.MarkupLine($"{(report.Aggregate.SignificantEdge ? "[green]" : "[yellow]")}{Markup.Escape(report.Aggregate.Verdict)}[/]");
        cli.Console.MarkupLine($"table, summary and plots in [bold]{Markup.Escape(output.FullName)}[/]; run {Markup.Escape(run)}");
        return ExitCodes.Ok;
    }

    async Task<IReadOnlyList<Candle>> ReadCandlesAsync(ParseResult parse, SeriesKey series, CancellationToken ct)
    {
        var from = parse.GetValue(_from);
        var to = parse.GetValue(_to);
        List<Candle> candles;
        if (parse.GetValue(_csv) is { } file)
        {
            if (!file.Exists)
                throw new CliException($"no such file {file.FullName}", ExitCodes.Usage);
            using var reader = file.OpenText();
            candles = [];
            var skipped = 0;
            foreach (var row in CandleCsv.Read(reader, series.Exchange, series.Symbol, series.Interval))
            {
                if (row.Candle is { } c && (from is null || c.OpenTime >= from) && (to is null || c.OpenTime <= to))
                    candles.Add(c);
                else if (row.Candle is null)
                    skipped++;
            }

            // A warning: on standard error, so that standard output holds the JSON alone under --json.
            if (skipped > 0)
                cli.Error.MarkupLine($"[yellow]skipped[/] {skipped} unreadable rows of {Markup.Escape(file.Name)}");
            candles.Sort((a, b) => a.OpenTime.CompareTo(b.OpenTime));
        }
        else
        {
            await using var redis = await cli.ConnectRedisAsync(ct);
            candles = [.. await redis.Candles.GetRangeAsync(series, from, to, ct)];
        }

        if (candles.Count == 0)
            throw new CliException($"no candles of {series} in the range given", ExitCodes.Failed);
        return candles;
    }

    /// <summary>The parent run and its folds, in MLflow when MLFLOW_TRACKING_URI is set (else locally); returns where it went.</summary>
    static async Task<string> RecordAsync(SeriesKey series, Hyperparameters hp, WalkForwardOptions options, WalkForwardReport report, CancellationToken ct)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddNeuralTradeEnvironment();
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddRunTracking();
        using var host = builder.Build();
        var tracker = host.Services.GetRequiredService<RunTracker>();
        var modelName = ModelNames.For(series);
        var tags = new Dictionary<string, string>
        {
            ["neuraltrade.series"] = series.ToString(),
            ["neuraltrade.kind"] = "walk-forward",
            ["mlflow.user"] = Environment.UserName,
            ["mlflow.source.name"] = "neuraltrade evaluate",
            ["mlflow.source.type"] = "LOCAL",
        };
        var parent = await tracker.StartRunAsync(modelName, $"walk-forward-{DateTimeOffset.UtcNow:yyyyMMddTHHmmss}", tags, ct);
        await parent.LogParamsAsync(hp.ToDictionary().Append(KeyValuePair.Create("folds", options.Folds.ToString(CultureInfo.InvariantCulture)))
            .ToDictionary(kv => kv.Key, kv => kv.Value), ct);
        await WalkForwardRecorder.RecordAsync(tracker, modelName, parent, report, tags, ct);
        await parent.EndAsync(true, ct);
        return $"{parent.RunId} ({parent.Store}{(parent.Store == "local" ? ": " + parent.LocalPath : "")})";
    }
}
