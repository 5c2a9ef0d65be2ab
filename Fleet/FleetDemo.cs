using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;
using NeuralTrade.Events.Terminal;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace NeuralTrade.Events.Fleet;

/// <summary>What one run of the demo did, for the exit code and for tests.</summary>
internal sealed record FleetReport(
    int Candles, long Accepted, long Rejected, long Streamed, long RequestedAnswers,
    IReadOnlyList<ModelDeployed> Deployed, IReadOnlyList<ModelRejected> ModelsRejected, IReadOnlyList<DriftDetected> Drift,
    IReadOnlyList<TrainingRequested> TrainingRequests, long Faults, int? ShiftAt, int? FirstRetrainCandle, TimeSpan Elapsed)
{
    /// <summary>0 when nothing faulted: a gate that refuses every model is the fleet doing its job, and the summary says why.</summary>
    public int ExitCode => Faults == 0 ? 0 : 1;
}

/// <summary>
/// The whole fleet in one process: Ingest, Training, Registry, Inference and Monitor on one bus (in-memory, or RabbitMQ
/// with <c>RABBITMQ_URL</c>), sharing stores (in-memory, or Redis with <c>REDIS_URL</c>). The demo plays the market and an
/// operator: it replays history, asks for a first model, then replays the rest candle batch by candle batch while the
/// workers stream predictions, watch for drift and retrain on their own; it shows it live and ends with a summary.
/// </summary>
internal static class FleetDemo
{
    internal sealed record Settings(FileInfo? Csv, int? Simulate, string Exchange, string Symbol, string Interval, int BatchSize,
        int? History = null, int Epochs = 40, int? ShiftAt = null);

    /// <summary>The model recipe of the demo: small enough to train in well under a minute on 2 cores.</summary>
    static Dictionary<string, JsonElement> Recipe(bool simulated, int epochs)
    {
        var recipe = new Dictionary<string, object>
        {
            ["windowSize"] = 30, ["hiddenSize"] = 32, ["numLayers"] = 1, ["epochs"] = epochs, ["batchSize"] = 64,
            ["learningRate"] = 0.003, ["patience"] = 10, ["minSamples"] = 200, ["seed"] = 7,
        };
        if (simulated)
        {
            // The planted moves are ~5 times the 5-candle noise in either regime: a threshold of σ₂₀ √5 labels them, before and after the break.
            recipe["volatilityScale"] = 1.0;
        }

        return recipe.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value));
    }

    public static async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        var console = TerminalConsole.Create();
        try
        {
            return (await RunAsync(settings, console, null, cancellationToken))?.ExitCode ?? 2;
        }
        catch (Exception e) when (e is OptionsValidationException or StackExchange.Redis.RedisConnectionException or MassTransitException
                                       or TimeoutException or System.Net.Sockets.SocketException)
        {
            // A setting or a service the operator named is wrong: say which, without a stack trace.
            var cause = e.GetBaseException().Message;
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message.Contains(cause, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({cause})")}");
            return 2;
        }
    }

    public static async Task<FleetReport?> RunAsync(Settings settings, IAnsiConsole console, IReadOnlyDictionary<string, string?>? configuration,
        CancellationToken cancellationToken)
    {
        var loaded = LoadCandles(settings, console);
        if (loaded is null)
            return null;
        var (candles, shiftAt) = loaded.Value;
        var series = new SeriesKey(candles[0].Exchange, candles[0].Symbol, candles[0].Interval);
        var interval = Intervals.LengthOf(series.Interval);
        var history = Math.Clamp(settings.History ?? (shiftAt is { } s ? Math.Max(s - 500, s / 2) : candles.Count * 6 / 10), 1, candles.Count);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.AddServiceDefaults("fleet");
        // Settings of the demo where the operator set none: one inference instance, fast job polling, a retrain that
        // looks back far enough to learn the new regime and not so far that it relearns the old one.
        var defaults = new Dictionary<string, string?>
        {
            ["Inference:InstanceId"] = "fleet",
            ["Training:PollIntervalMs"] = "100",
            ["Monitor:RetrainLookback"] = (interval * 1_500).ToString("c", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
            defaults[key] = value;
        builder.Configuration.AddInMemoryCollection(defaults.Where(kv => configuration?.ContainsKey(kv.Key) == true || builder.Configuration[kv.Key] is null));
        builder.AddIngestWorker();
        builder.AddTrainingWorker();
        builder.AddRegistryWorker();
        builder.AddInferenceWorker();
        builder.AddMonitorWorker();
        var observer = new FleetObserver(TimeProvider.System);
        builder.Services.AddConsumeObserver(_ => observer);
        builder.Services.AddPublishObserver(_ => observer);
        builder.AddNeuralTradeBus(embeddedByDefault: true);

        using var host = builder.Build();
        var messaging = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var redis = host.Services.GetRequiredService<IOptions<RedisOptions>>().Value;
        var tracking = host.Services.GetRequiredService<IOptions<TrackingOptions>>().Value;
        console.MarkupLine($"[bold]NeuralTrade.Events fleet[/] — bus: [cyan]{(messaging.UsesRabbitMq ? Markup.Escape(RabbitMqAddress.Redact(messaging.RabbitMqUrl!)) : "in-memory")}[/], " +
            $"stores: [cyan]{(redis.IsConfigured ? "redis" : "in-memory")}[/], runs: [cyan]{Markup.Escape(tracking.MlflowUri is { } mlflow ? $"mlflow {mlflow}" : $"local ({Path.GetFullPath(tracking.LocalDirectory)})")}[/], " +
            "workers: [cyan]ingest, training, registry, inference, monitor[/]");

        await host.StartAsync(cancellationToken);
        var bus = host.Services.GetRequiredService<IBus>();
        var jobs = host.Services.GetRequiredService<ITrainingJobStore>();
        var stopwatch = Stopwatch.StartNew();
        var replay = new Replay(bus, observer, candles);

        // 1. History: what the exchange has already, in large messages.
        console.Write(new Rule($"[bold]1. history[/]: {history:N0} candles of {Markup.Escape(series.ToString())} into Ingest").LeftJustified());
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask("ingest: validate, store, announce", maxValue: history);
                while (replay.Position < history)
                {
                    await replay.NextAsync(Math.Min(500, history - replay.Position), cancellationToken);
                    task.Value = replay.Position;
                }
            });

        // 2. The operator asks for a first model; Training trains it, Registry gates it, Inference loads it.
        console.Write(new Rule("[bold]2. first model[/]: training.requested → Training → Registry gate → model.deployed").LeftJustified());
        var first = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval,
            Hyperparameters = Recipe(settings.Csv is null, settings.Epochs), Reason = "manual",
        };
        await bus.Publish(first, cancellationToken);
        var handled = new HashSet<Guid> { first.RequestId };
        var printedEvents = observer.EventsSince(0).Count;
        await FollowTrainingAsync(console, jobs, observer, first, cancellationToken);

        // 3. The market goes on: small messages as a live feed would send; predictions stream, the monitor watches.
        console.Write(new Rule($"[bold]3. live[/]: {candles.Count - replay.Position:N0} more candles, {settings.BatchSize} per message" +
            (shiftAt is { } at ? $"; the market breaks at candle {at:N0}" : "")).LeftJustified());
        while (replay.Position < candles.Count)
        {
            TrainingRequested? retrain = null;
            async Task PlayUntilRetrainAsync(Action draw, Func<bool> due)
            {
                while (replay.Position < candles.Count && retrain is null)
                {
                    await replay.NextAsync(settings.BatchSize, cancellationToken);
                    retrain = observer.TrainingRequests.FirstOrDefault(r => handled.Add(r.RequestId));
                    if (due() || retrain is not null || replay.Position >= candles.Count)
                        draw();
                }
            }

            if (console.Profile.Capabilities.Interactive)
            {
                // A terminal: one live view, redrawn four times a second.
                await console.Live(View(observer, replay, series, shiftAt, stopwatch.Elapsed)).AutoClear(false).StartAsync(async live =>
                {
                    var lastDraw = Stopwatch.StartNew();
                    await PlayUntilRetrainAsync(() => live.UpdateTarget(View(observer, replay, series, shiftAt, stopwatch.Elapsed)),
                        () =>
                        {
                            if (lastDraw.ElapsedMilliseconds < 250)
                                return false;
                            lastDraw.Restart();
                            return true;
                        });
                });
            }
            else
            {
                // A log or a pipe: each event once, and a status line every 500 candles.
                var nextStatus = replay.Position + 500;
                await PlayUntilRetrainAsync(() =>
                {
                    foreach (var line in observer.EventsSince(printedEvents))
                        console.MarkupLine(line);
                    printedEvents += observer.EventsSince(printedEvents).Count;
                    console.MarkupLine(Status(observer, replay, series, shiftAt, stopwatch.Elapsed));
                }, () =>
                {
                    if (replay.Position < nextStatus)
                        return false;
                    nextStatus += 500;
                    return true;
                });
            }

            if (retrain is not null)
            {
                // The replay waits for the loop so that what the new model learns does not depend on machine speed;
                // in production the market keeps coming and the workers keep serving the champion meanwhile.
                console.MarkupLine($"[red]drift[/] at candle {replay.Position:N0}: the monitor asked for retraining (reason [bold]{Markup.Escape(retrain.Reason)}[/]); " +
                    "the replay waits for the loop: train → gate → swap");
                await FollowTrainingAsync(console, jobs, observer, retrain, cancellationToken);
            }
        }

        // 4. A trading service asks for a prediction (request/response on the public contract).
        var answer = await AskAsync(bus, series, cancellationToken);
        console.MarkupLine(answer);
        await WaitUntilAsync(() => observer.TrainingRequests.All(r => observer.OutcomeOf(r.RequestId) is not null), TimeSpan.FromMinutes(10),
            "the last training requests to be decided", cancellationToken);
        var elapsed = stopwatch.Elapsed;
        await host.StopAsync(CancellationToken.None);

        var firstRetrain = replay.PositionAtFirst(observer.TrainingRequests.FirstOrDefault(r => r.Reason == DriftMonitor.RetrainReason)?.RequestId);
        var report = new FleetReport(candles.Count, observer.Accepted, observer.Rejected, observer.Streamed, observer.RequestedAnswers,
            observer.Deployed, observer.ModelsRejected, observer.Drift, observer.TrainingRequests, observer.Faults, shiftAt, firstRetrain, elapsed);
        console.Write(Summary(report, observer));
        if (report.Deployed.Count == 0 && report.ModelsRejected.FirstOrDefault() is { } refused)
        {
            console.MarkupLine($"[yellow]no champion:[/] the gate refused the model ({Markup.Escape(refused.Reason)}). A market without a learnable " +
                "pattern should not get one; to serve it anyway lower the floor, e.g. [bold]Registry__Floors__macro_f1=0.25[/].");
        }

        return report;
    }

    /// <summary>Shows the training progress (epochs, from the job store) until the Registry decided on the run.</summary>
    static async Task FollowTrainingAsync(IAnsiConsole console, ITrainingJobStore jobs, FleetObserver observer, TrainingRequested request,
        CancellationToken cancellationToken)
    {
        string? outcome = null;
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"training ({Markup.Escape(request.Reason)}): waiting for a worker", maxValue: 1);
                var deadline = Stopwatch.StartNew();
                while ((outcome = observer.OutcomeOf(request.RequestId)) is null)
                {
                    if (deadline.Elapsed > TimeSpan.FromMinutes(15))
                        throw new TimeoutException($"training request {request.RequestId} was not decided within 15 minutes");
                    var job = await jobs.GetAsync(request.RequestId, cancellationToken);
                    if (job?.ProgressJson is { } json && JsonSerializer.Deserialize<EpochProgress>(json, ContractJson.Options) is { } epoch)
                    {
                        task.MaxValue = epoch.MaxEpochs;
                        task.Value = epoch.Epoch;
                        task.Description = $"training ({Markup.Escape(request.Reason)}): epoch {epoch.Epoch}/{epoch.MaxEpochs}, " +
                            $"loss {epoch.TrainLoss:0.000} / validation {epoch.ValidationLoss:0.000}";
                    }
                    else if (job is not null)
                    {
                        task.Description = $"training ({Markup.Escape(request.Reason)}): {job.Status}";
                    }

                    await Task.Delay(100, cancellationToken);
                }

                task.Value = task.MaxValue;
            });
        var style = outcome!.StartsWith("deployed", StringComparison.Ordinal) ? "green" : "yellow";
        console.MarkupLine($"[{style}]{Markup.Escape(outcome)}[/]");
    }

    static async Task<string> AskAsync(IBus bus, SeriesKey series, CancellationToken cancellationToken)
    {
        var client = bus.CreateRequestClient<PredictionRequested>(RequestTimeout.After(s: 30));
        var request = new PredictionRequested { RequestId = Guid.NewGuid(), Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval };
        try
        {
            var response = await client.GetResponse<PredictionCompleted, PredictionFailed>(request, cancellationToken);
            return response.Message switch
            {
                PredictionCompleted p => $"[bold]prediction.requested[/] → {SignalMarkup(p.Signal)} with confidence {p.Confidence:P0}, risk {p.Risk.Level.ToString().ToLowerInvariant()} " +
                    $"({p.Risk.Score:0.0}/10: {Markup.Escape(p.Risk.Recommendation)}), model v{p.Model.Version}, as of {p.AsOf:u}",
                PredictionFailed f => $"[bold]prediction.requested[/] → [yellow]{Markup.Escape(f.Code)}[/]: {Markup.Escape(f.Error)}",
                _ => "[bold]prediction.requested[/] → unexpected answer",
            };
        }
        catch (RequestTimeoutException)
        {
            return "[red]prediction.requested[/] → no answer within 30 s";
        }
    }

    static string Status(FleetObserver observer, Replay replay, SeriesKey series, int? shiftAt, TimeSpan elapsed)
    {
        var champion = observer.Deployed.LastOrDefault();
        return $"[bold]{Markup.Escape(series.ToString())}[/]  candle [bold]{replay.Position:N0}[/]/{replay.Count:N0}" +
            (shiftAt is { } s ? replay.Position >= s ? $" ([red]{replay.Position - s:N0} after the break[/])" : $" (break at {s:N0})" : "") +
            $"  stored {observer.Accepted:N0}  rejected {observer.Rejected:N0}  streamed predictions {observer.Streamed:N0}" +
            $"  champion [green]{(champion is null ? "none" : $"v{champion.Version}")}[/]  {elapsed:mm\\:ss}";
    }

    static IRenderable View(FleetObserver observer, Replay replay, SeriesKey series, int? shiftAt, TimeSpan elapsed)
    {
        var header = new Markup(Status(observer, replay, series, shiftAt, elapsed));

        var predictions = new Table().Border(TableBorder.Simple).Title("recent predictions (prediction.completed)")
            .AddColumns("as of", "signal", "confidence", "sell / hold / buy", "risk", "model", "latency");
        foreach (var p in observer.RecentPredictions)
        {
            predictions.AddRow(p.AsOf.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), SignalMarkup(p.Signal), p.Confidence.ToString("P0", CultureInfo.InvariantCulture),
                $"{p.Probabilities.Sell:0.00} / {p.Probabilities.Hold:0.00} / {p.Probabilities.Buy:0.00}",
                $"{RiskMarkup(p.Risk.Level)} {p.Risk.Score:0.0}", $"v{p.Model.Version}", $"{p.LatencyMs:0.0} ms");
        }

        var models = ModelsTable(observer);
        var drift = new Table().Border(TableBorder.Simple).Title("drift (drift.detected)")
            .AddColumns("candle time", "type", "metric", "value", "threshold", "severity", "action");
        foreach (var d in observer.Drift.TakeLast(6).Reverse())
        {
            drift.AddRow(d.Window.To.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), d.DriftType.ToString().ToLowerInvariant(),
                Markup.Escape(d.Feature is null ? d.Metric : $"{d.Metric}({d.Feature})"), FleetObserver.Number(d.Value), FleetObserver.Number(d.Threshold), SeverityMarkup(d.Severity), Markup.Escape(d.Action ?? ""));
        }

        var log = new Panel(new Rows(observer.EventLog.Select(l => new Markup(l)))).Header("events").Border(BoxBorder.Rounded).Expand();
        return new Rows(header, predictions, new Columns(models, drift), log);
    }

    static Table ModelsTable(FleetObserver observer)
    {
        var models = new Table().Border(TableBorder.Simple).Title("models (model.deployed / model.rejected)")
            .AddColumns("version", "decision", "macro-F1", "accuracy", "run");
        foreach (var d in observer.Deployed)
        {
            models.AddRow($"v{d.Version}", $"[green]deployed[/] ({Markup.Escape(d.Reason ?? "gate")})", Metric(d.Metrics, "macro_f1"), Metric(d.Metrics, "accuracy"),
                Markup.Escape(Short(d.RunId)));
        }

        foreach (var r in observer.ModelsRejected)
            models.AddRow("—", "[yellow]rejected[/]", Metric(r.CandidateMetrics, "macro_f1"), Metric(r.CandidateMetrics, "accuracy"), Markup.Escape(Short(r.RunId)));
        return models;
    }

    static IRenderable Summary(FleetReport report, FleetObserver observer)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]summary[/]").AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        table.AddRow("candles replayed", report.Candles.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("[green]accepted and stored[/]", report.Accepted.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("[red]rejected[/] (data.rejected, with reasons)", report.Rejected.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (code, n) in observer.RejectionCodes.OrderByDescending(kv => kv.Value))
            table.AddRow($"   reason [yellow]{Markup.Escape(code)}[/]", n.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("training requests (manual / drift)",
            $"{report.TrainingRequests.Count(r => r.Reason != DriftMonitor.RetrainReason)} / {report.TrainingRequests.Count(r => r.Reason == DriftMonitor.RetrainReason)}");
        table.AddRow("models deployed / rejected by the gate", $"{report.Deployed.Count} / {report.ModelsRejected.Count}");
        table.AddRow("champion at the end", report.Deployed.LastOrDefault() is { } last ? $"v{last.Version}" : "none");
        table.AddRow("streamed predictions", report.Streamed.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var group in observer.SignalsByVersion.GroupBy(kv => kv.Key.Version).OrderBy(g => g.Key))
        {
            var total = group.Sum(kv => kv.Value);
            table.AddRow($"   by v{group.Key}: sell / hold / buy",
                string.Join(" / ", Enum.GetValues<Signal>().Select(s => (group.FirstOrDefault(kv => kv.Key.Signal == s).Value / (double)total).ToString("P0", CultureInfo.InvariantCulture))));
        }

        table.AddRow("requested predictions answered", report.RequestedAnswers.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var group in report.Drift.GroupBy(d => (d.DriftType, d.Severity)).OrderBy(g => g.Key.DriftType).ThenBy(g => g.Key.Severity))
            table.AddRow($"drift.detected {group.Key.DriftType.ToString().ToLowerInvariant()}, {group.Key.Severity.ToString().ToLowerInvariant()}", group.Count().ToString(CultureInfo.InvariantCulture));
        if (report is { ShiftAt: { } shift, FirstRetrainCandle: { } retrainAt })
            table.AddRow("first drift retrain after the break", $"{retrainAt - shift:N0} candles");
        table.AddRow("messages faulted (dead-lettered)", report.Faults.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("elapsed", report.Elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture));
        return new Rows(ModelsTable(observer), table);
    }

    static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    static string Short(string runId) => runId.Length > 12 ? runId[..12] : runId;

    static string SignalMarkup(Signal signal) => signal switch
    {
        Signal.Buy => "[green]buy[/]",
        Signal.Sell => "[red]sell[/]",
        _ => "[grey]hold[/]",
    };

    static string RiskMarkup(RiskLevel level) => level switch
    {
        RiskLevel.Low => "[green]low[/]",
        RiskLevel.Medium => "[yellow]medium[/]",
        RiskLevel.High => "[red]high[/]",
        _ => "[bold red]critical[/]",
    };

    static string SeverityMarkup(DriftSeverity severity) => severity switch
    {
        DriftSeverity.High => "[red]high[/]",
        DriftSeverity.Medium => "[yellow]medium[/]",
        _ => "[grey]low[/]",
    };

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > limit)
                throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>
    /// Publishes the market in order, one market.candles message at a time, and waits until the fleet has dealt with
    /// it (Ingest stored or rejected it; Inference and Monitor handled each data.ingested) before the next.
    /// </summary>
    sealed class Replay(IBus bus, FleetObserver observer, IReadOnlyList<Candle> candles)
    {
        readonly Dictionary<Guid, int> _requestPositions = [];
        long _published;

        public int Position { get; private set; }
        public int Count => candles.Count;

        public async Task NextAsync(int count, CancellationToken cancellationToken)
        {
            var batch = candles.Skip(Position).Take(count).ToList();
            await bus.Publish(new MarketCandles { Candles = batch, Source = "fleet-replay" }, cancellationToken);
            _published++;
            Position += batch.Count;
            await WaitUntilAsync(() => observer.MessagesDone + observer.MessagesFaulted >= _published && observer.IngestedConsumed >= 2 * observer.IngestedEvents,
                TimeSpan.FromMinutes(5), "the fleet to handle the replayed candles", cancellationToken);
            foreach (var request in observer.TrainingRequests)
                _requestPositions.TryAdd(request.RequestId, Position);
        }

        public int? PositionAtFirst(Guid? requestId) =>
            requestId is { } id && _requestPositions.TryGetValue(id, out var position) ? position : null;
    }

    static (List<Candle> Candles, int? ShiftAt)? LoadCandles(Settings settings, IAnsiConsole console)
    {
        if (settings.Csv is null)
        {
            var count = settings.Simulate ?? 7_000;
            var shiftAt = settings.ShiftAt ?? count / 2;
            var market = SimulatedMarket.Demo(shiftAt) with { Exchange = settings.Exchange, Symbol = settings.Symbol, Interval = settings.Interval };
            console.MarkupLine($"built-in simulated market: {count:N0} {Markup.Escape(settings.Interval)} candles with a learnable pattern; " +
                $"at candle {shiftAt:N0} it breaks to {market.ShiftVolatility}× the volatility, {market.ShiftVolume}× the volume and a reversed pattern");
            return (new MarketSimulator(market).Generate(count).ToList(), shiftAt);
        }

        var file = settings.Csv;
        if (!file.Exists)
        {
            console.MarkupLine($"[red]error:[/] no such file {Markup.Escape(file.FullName)}");
            return null;
        }

        using var reader = file.OpenText();
        var candles = new List<Candle>();
        try
        {
            foreach (var row in CandleCsv.Read(reader, settings.Exchange, settings.Symbol, settings.Interval))
            {
                if (row.Candle is not null)
                    candles.Add(row.Candle);
                else
                    console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(file.Name)} line {row.Line}: {Markup.Escape(row.Error!)}");
            }
        }
        catch (InvalidDataException e)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(file.Name)}: {Markup.Escape(e.Message)}");
            return null;
        }

        console.MarkupLine($"read {candles.Count:N0} candles from {Markup.Escape(file.FullName)}");
        if (candles.Count == 0)
        {
            console.MarkupLine("[red]error:[/] the file holds no candle");
            return null;
        }

        return (candles, null);
    }

    public static int WriteSimulated(FileInfo output, int count, int seed, string interval, int? shiftAt)
    {
        var market = shiftAt is { } s ? SimulatedMarket.Demo(s) with { Seed = seed, Interval = interval } : new SimulatedMarket { Seed = seed, Interval = interval };
        var candles = new MarketSimulator(market).Generate(count);
        output.Directory?.Create();
        using var writer = output.CreateText();
        CandleCsv.Write(writer, candles);
        TerminalConsole.Create().MarkupLine($"wrote {count:N0} simulated {Markup.Escape(interval)} candles to {Markup.Escape(output.FullName)}");
        return 0;
    }
}
