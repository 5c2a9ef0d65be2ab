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
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Terminal;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;
using Spectre.Console;

namespace NeuralTrade.Events.Fleet;

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
        var loaded = FleetMarket.Load(settings, console);
        if (loaded is null)
            return null;
        var (candles, shiftAt) = loaded.Value;
        var series = new SeriesKey(candles[0].Exchange, candles[0].Symbol, candles[0].Interval);
        var history = Math.Clamp(settings.History ?? (shiftAt is { } s ? Math.Max(s - 500, s / 2) : candles.Count * 6 / 10), 1, candles.Count);

        var observer = new FleetObserver(TimeProvider.System);
        using var host = BuildHost(series, configuration, observer);
        WriteBanner(console, host.Services);
        await host.StartAsync(cancellationToken);
        var bus = host.Services.GetRequiredService<IBus>();
        var jobs = host.Services.GetRequiredService<ITrainingJobStore>();
        var stopwatch = Stopwatch.StartNew();
        var live = new LivePlay(console, settings, new MarketReplay(bus, observer, candles), observer, jobs, series, shiftAt, stopwatch);

        await PlayHistoryAsync(console, live.Replay, series, history, cancellationToken);
        await RequestFirstModelAsync(bus, live, cancellationToken);
        await live.PlayAsync(cancellationToken);

        // 4. A trading service asks for a prediction (request/response on the public contract).
        console.MarkupLine(await AskAsync(bus, series, cancellationToken));
        await WaitUntilAsync(() => observer.TrainingRequests.All(r => observer.OutcomeOf(r.RequestId) is not null), TimeSpan.FromMinutes(10),
            "the last training requests to be decided", cancellationToken);
        var elapsed = stopwatch.Elapsed;
        await host.StopAsync(CancellationToken.None);
        return Summarise(console, observer, live.Replay, candles.Count, shiftAt, elapsed);
    }

    /// <summary>The five workers on one bus, with the demo's settings where the operator set none.</summary>
    static IHost BuildHost(SeriesKey series, IReadOnlyDictionary<string, string?>? configuration, FleetObserver observer)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.AddServiceDefaults("fleet");
        // Settings of the demo where the operator set none: one inference instance, fast job polling, a retrain that
        // looks back far enough to learn the new regime and not so far that it relearns the old one.
        var defaults = new Dictionary<string, string?>
        {
            ["Inference:InstanceId"] = "fleet",
            ["Training:PollIntervalMs"] = "100",
            ["Monitor:RetrainLookback"] = (Intervals.LengthOf(series.Interval) * 1_500).ToString("c", CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
            defaults[key] = value;
        builder.Configuration.AddInMemoryCollection(defaults.Where(kv => configuration?.ContainsKey(kv.Key) == true || builder.Configuration[kv.Key] is null));
        builder.AddIngestWorker();
        builder.AddTrainingWorker();
        builder.AddRegistryWorker();
        builder.AddInferenceWorker();
        builder.AddMonitorWorker();
        builder.Services.AddConsumeObserver(_ => observer);
        builder.Services.AddPublishObserver(_ => observer);
        builder.AddNeuralTradeBus(embeddedByDefault: true);
        return builder.Build();
    }

    static void WriteBanner(IAnsiConsole console, IServiceProvider services)
    {
        var messaging = services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var redis = services.GetRequiredService<IOptions<RedisOptions>>().Value;
        var tracking = services.GetRequiredService<IOptions<TrackingOptions>>().Value;
        console.MarkupLine($"[bold]NeuralTrade.Events fleet[/] — bus: [cyan]{(messaging.UsesRabbitMq ? Markup.Escape(RabbitMqAddress.Redact(messaging.RabbitMqUrl!)) : "in-memory")}[/], " +
            $"stores: [cyan]{(redis.IsConfigured ? "redis" : "in-memory")}[/], runs: [cyan]{Markup.Escape(tracking.MlflowUri is { } mlflow ? $"mlflow {mlflow}" : $"local ({Path.GetFullPath(tracking.LocalDirectory)})")}[/], " +
            "workers: [cyan]ingest, training, registry, inference, monitor[/]");
    }

    /// <summary>1. History: what the exchange has already, in large messages.</summary>
    static async Task PlayHistoryAsync(IAnsiConsole console, MarketReplay replay, SeriesKey series, int history, CancellationToken cancellationToken)
    {
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
    }

    /// <summary>2. The operator asks for a first model; Training trains it, Registry gates it, Inference loads it.</summary>
    static async Task RequestFirstModelAsync(IBus bus, LivePlay live, CancellationToken cancellationToken)
    {
        live.Console.Write(new Rule("[bold]2. first model[/]: training.requested → Training → Registry gate → model.deployed").LeftJustified());
        var first = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = live.Series.Exchange, Symbol = live.Series.Symbol, Interval = live.Series.Interval,
            Hyperparameters = Recipe(live.Settings.Csv is null, live.Settings.Epochs), Reason = "manual",
        };
        await bus.Publish(first, cancellationToken);
        live.Handled(first.RequestId);
        live.LogFromNow();
        await FollowTrainingAsync(live.Console, live.Jobs, live.Observer, first, cancellationToken);
    }

    static FleetReport Summarise(IAnsiConsole console, FleetObserver observer, MarketReplay replay, int candles, int? shiftAt, TimeSpan elapsed)
    {
        var firstRetrain = replay.PositionAtFirst(observer.TrainingRequests.FirstOrDefault(r => r.Reason == DriftMonitor.RetrainReason)?.RequestId);
        var report = new FleetReport(candles, observer.Accepted, observer.Rejected, observer.Streamed, observer.RequestedAnswers,
            observer.Deployed, observer.ModelsRejected, observer.Drift, observer.TrainingRequests, observer.Faults, shiftAt, firstRetrain, elapsed);
        console.Write(FleetView.Summary(report, observer));
        if (report.Deployed.Count == 0 && report.ModelsRejected.FirstOrDefault() is { } refused)
        {
            console.MarkupLine($"[yellow]no champion:[/] the gate refused the model ({Markup.Escape(refused.Reason)}). This is the gate working: " +
                "a model is served only when it beats every baseline (always hold, always buy, the majority class, persistence, a stratified " +
                "random signal) with 95 % confidence on data it never trained or validated on, and a market without a learnable pattern gives " +
                "it none. Drift is still watched against the series' own history (docs/modeling.md).");
        }

        return report;
    }

    /// <summary>Shows the training progress (epochs, from the job store) until the Registry decided on the run.</summary>
    internal static async Task FollowTrainingAsync(IAnsiConsole console, ITrainingJobStore jobs, FleetObserver observer, TrainingRequested request,
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
                PredictionCompleted p => $"[bold]prediction.requested[/] → {FleetView.SignalMarkup(p.Signal)} with confidence {p.Confidence:P0}, risk {p.Risk.Level.ToString().ToLowerInvariant()} " +
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

}
