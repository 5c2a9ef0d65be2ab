using System.Diagnostics;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// The monitor's work. Every <c>data.ingested</c> (1) appends the features of the new candles to the series' feature
/// window, computed by the shared feature implementation with the same history the model is served with; (2) labels the
/// streamed predictions whose horizon has now passed, with the training labels' own definition; (3) under the series'
/// lock, measures data drift (PSI and KS per feature against the champion's training baseline), prediction drift
/// (signal mix and confidence against its validation split) and concept drift (realised macro-F1 and accuracy against its
/// test figures), steps each statistic's hysteresis, publishes <c>drift.detected</c> and, for severe drift, at most one
/// <c>training.requested</c> (reason <c>drift</c>) per retrain cooldown. Time is candle time (the newest open time), so a
/// replay behaves as live data did. Windows and state live in <see cref="IMonitorStore"/>.
/// </summary>
public sealed partial class DriftMonitor(IMonitorStore store, ICandleStore candleStore, ChampionBaselines champions, IOptions<MonitorOptions> options,
    ILogger<DriftMonitor> logger)
{
    public const string RetrainReason = "drift";
    public const string RetrainAction = "training.requested";
    public const string RecoveredAction = "recovered";

    /// <summary>Field of a model's state hash holding the candle time of its last check.</summary>
    public const string CheckedField = "checkedAt";

    readonly FeatureWindows _features = new(store, candleStore, options);
    readonly OutcomeLabeller _outcomes = new(store, options);
    readonly DataDrift _dataDrift = new(options);
    readonly PredictionDrift _predictionDrift = new(options);
    readonly ConceptDrift _conceptDrift = new(options);

    MonitorOptions Settings => options.Value;

    /// <summary>Records a streamed prediction in its model version's window. Answers to requests are not counted (see README).</summary>
    public async Task RecordPredictionAsync(PredictionCompleted prediction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        await _outcomes.RecordAsync(prediction, cancellationToken);
    }

    /// <summary>
    /// Updates the series' windows and checks it. <paramref name="publish"/> sends each event (drift.detected, then
    /// training.requested); it is called before the new state is stored, under the series' lock.
    /// </summary>
    public async Task<CheckReport> OnDataIngestedAsync(DataIngested ingested, Func<IntegrationEvent, CancellationToken, Task> publish,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingested);
        ArgumentNullException.ThrowIfNull(publish);
        var started = Stopwatch.GetTimestamp();
        // Ingest only announces valid series; anything else is refused at once (dead-lettered with the reason, no retry).
        if (!Intervals.TryGetLength(ingested.Interval, out _))
            throw new InvalidMessageException($"data.ingested names interval '{ingested.Interval}', which is not one of {string.Join(", ", Intervals.Names)}");
        if (ingested.LastOpenTime < ingested.FirstOpenTime)
            throw new InvalidMessageException($"data.ingested has lastOpenTime {ingested.LastOpenTime:O} before firstOpenTime {ingested.FirstOpenTime:O}");
        var series = new SeriesKey(ingested.Exchange, ingested.Symbol, ingested.Interval);
        using var activity = MonitorTelemetry.Source.StartActivity("monitor check");
        activity?.SetTag("neuraltrade.series", series.ToString());

        var (model, problem) = await champions.CurrentAsync(series, cancellationToken);
        await UpdateWindowsAsync(series, ingested, model, cancellationToken);
        CheckReport report;
        if (model is null)
            report = CheckReport.Skipped(problem ?? ChampionBaselines.NoModel);
        else
        {
            await using var held = await LockAsync(series, cancellationToken);
            report = await CheckAsync(series, model, ingested, publish, cancellationToken);
        }

        MonitorTelemetry.Checks.Add(1, new KeyValuePair<string, object?>("outcome", report.Outcome));
        MonitorTelemetry.CheckDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return report;
    }

    /// <summary>The features window, then the outcomes of the model's predictions, from one read of the candles.</summary>
    async Task UpdateWindowsAsync(SeriesKey series, DataIngested ingested, MonitoredModel? model, CancellationToken cancellationToken)
    {
        IReadOnlyList<WindowEntry> pending = [];
        DateTimeOffset? historyFrom = null;
        if (model is not null)
        {
            pending = await _outcomes.PendingAsync(series, model, ingested.LastOpenTime, cancellationToken);
            historyFrom = OutcomeLabeller.HistoryFrom(pending, model, Intervals.LengthOf(series.Interval));
        }

        var spec = model?.FeatureSpec ?? FeatureSpec.OhlcvV1;
        var history = await _features.UpdateAsync(series, ingested, spec, historyFrom, cancellationToken);
        if (history is not { } read || model is null || pending.Count == 0)
            return;
        await _outcomes.LabelAsync(series, model, pending, read.Candles, read.Features, cancellationToken);
    }

    async Task<CheckReport> CheckAsync(SeriesKey series, MonitoredModel model, DataIngested ingested,
        Func<IntegrationEvent, CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        var readings = new List<DriftReading>();
        var featureRows = await _features.ReadAsync(series, model.FeatureSpec, cancellationToken);
        var now = featureRows.Count > 0 ? Max(WindowCodec.DecodeTime(featureRows[^1].Time), ingested.LastOpenTime) : ingested.LastOpenTime;
        readings.AddRange(_dataDrift.Measure(model, featureRows));

        readings.AddRange(_predictionDrift.Measure(model, await _outcomes.ReadPredictionsAsync(series, model, cancellationToken)));
        readings.AddRange(_conceptDrift.Measure(model, await _outcomes.ReadOutcomesAsync(series, model, cancellationToken)));

        var stateKey = MonitorKeys.State(series, model.Name, model.Version);
        var states = await store.ReadStateAsync(stateKey, cancellationToken);
        var changed = new Dictionary<string, string>();
        var events = new List<DriftDetected>();
        var retrainLevel = Settings.RetrainSeverity == DriftSeverity.High ? 2 : 1;
        var severe = false;
        foreach (var reading in readings)
        {
            var state = DriftState.Parse(states.GetValueOrDefault(reading.Key));
            var decision = DriftTracker.Step(state, reading, now, Settings.Hysteresis, Settings.Cooldown);
            if (decision.State != state)
                changed[reading.Key] = decision.State.Serialize();
            // Retraining follows an announced episode at that level, never a level the cooldown kept quiet.
            severe |= decision.State.Level >= retrainLevel && decision.State.Announced >= retrainLevel;
            Record(series, model, reading, decision.State.Level);
            if (decision.Publish is { } severity)
                events.Add(DriftEvent(series, model, reading, severity, decision.Recovered, now, ingested.CorrelationId));
        }

        TrainingRequested? retrain = null;
        if (severe && Settings.Retrain)
        {
            var retrainState = await store.ReadStateAsync(MonitorKeys.Retrain(series), cancellationToken);
            var last = retrainState.TryGetValue("last", out var text) ? WindowCodec.DecodeTime(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture)) : (DateTimeOffset?)null;
            if (last is null || now - last.Value >= Settings.RetrainCooldown)
            {
                var requestId = DeterministicGuid.Create($"retrain|{series}|{now.ToUnixTimeSeconds()}");
                retrain = new TrainingRequested
                {
                    EventId = requestId,
                    CorrelationId = ingested.CorrelationId,
                    RequestId = requestId,
                    Exchange = series.Exchange,
                    Symbol = series.Symbol,
                    Interval = series.Interval,
                    From = Settings.RetrainLookback is { } lookback ? now - lookback : null,
                    Hyperparameters = RecipeOf(model),
                    Reason = RetrainReason,
                };
                for (var i = 0; i < events.Count; i++)
                {
                    if (events[i].Action is null && events[i].Severity >= Settings.RetrainSeverity)
                        events[i] = events[i] with { Action = RetrainAction };
                }
            }
        }

        // Publish first, then store: a crash in between republishes the same events (same ids) on redelivery, never loses them.
        foreach (var e in events)
        {
            await publish(e, cancellationToken);
            MonitorTelemetry.Events.Add(1, new KeyValuePair<string, object?>("drift_type", e.DriftType.ToString().ToLowerInvariant()),
                new KeyValuePair<string, object?>("metric", e.Metric), new KeyValuePair<string, object?>("severity", e.Severity.ToString().ToLowerInvariant()));
            if (e.Action == RecoveredAction)
                LogRecovered(series.ToString(), e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold);
            else
                LogDrift(series.ToString(), e.Severity, e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold, model.Name, model.Version);
        }

        if (retrain is not null)
        {
            await publish(retrain, cancellationToken);
            await store.WriteStateAsync(MonitorKeys.Retrain(series), new Dictionary<string, string>
            {
                ["last"] = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["requestId"] = retrain.RequestId.ToString(),
            }, cancellationToken);
            MonitorTelemetry.RetrainRequests.Add(1);
            LogRetrain(series.ToString(), retrain.RequestId, model.Name, model.Version);
        }

        // When this model was last checked, and on how many windows' worth: an operator (and a test) can see it is watched.
        changed[CheckedField] = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await store.WriteStateAsync(stateKey, changed, cancellationToken);
        return new CheckReport("checked", readings, events, retrain);
    }

    /// <summary>The champion's own hyperparameters: a retrain repeats its recipe on newer data.</summary>
    static Dictionary<string, System.Text.Json.JsonElement>? RecipeOf(MonitoredModel model)
    {
        var recipe = new Dictionary<string, System.Text.Json.JsonElement>();
        foreach (var (name, text) in model.Manifest.Hyperparameters)
        {
            if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var whole))
                recipe[name] = System.Text.Json.JsonSerializer.SerializeToElement(whole);
            else if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
                recipe[name] = System.Text.Json.JsonSerializer.SerializeToElement(number);
        }

        return recipe.Count > 0 ? recipe : null;
    }

    static DriftDetected DriftEvent(SeriesKey series, MonitoredModel model, DriftReading r, DriftSeverity severity, bool recovered, DateTimeOffset now,
        Guid correlationId) => new()
        {
            EventId = DeterministicGuid.Create($"drift|{series}|{model.Name}|{model.Version}|{r.Key}|{severity}|{now.ToUnixTimeSeconds()}"),
            CorrelationId = correlationId,
            DriftType = r.Type,
            Metric = r.Metric,
            Feature = r.Feature,
            Value = r.Value,
            Baseline = r.Baseline,
            Threshold = severity == DriftSeverity.High ? r.AlertThreshold : r.WarnThreshold,
            Severity = severity,
            Exchange = series.Exchange,
            Symbol = series.Symbol,
            Interval = series.Interval,
            Model = new ModelRef(model.Name, model.Version),
            Window = r.Window,
            Action = recovered ? RecoveredAction : null,
        };

    static void Record(SeriesKey series, MonitoredModel model, DriftReading r, int level)
    {
        ReadOnlySpan<KeyValuePair<string, object?>> tags =
        [
            new("series", series.ToString()), new("model", model.Name), new("model_version", model.Version),
            new("drift_type", r.Type.ToString().ToLowerInvariant()), new("metric", r.Metric), new("feature", r.Feature ?? ""),
        ];
        MonitorTelemetry.Statistic.Record(r.Value, tags);
        MonitorTelemetry.Level.Record(level, tags);
    }

    async Task<IAsyncDisposable> LockAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        var lease = TimeSpan.FromSeconds(Settings.LockSeconds);
        var deadline = Stopwatch.GetTimestamp() + (long)(lease.TotalSeconds * Stopwatch.Frequency);
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (await store.TryLockAsync(MonitorKeys.CheckLock(series), lease, cancellationToken) is { } held)
                return held;
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"{series}: another monitor instance held the series' check for {Settings.LockSeconds} s; the message will be retried");
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }

    static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series}: {Severity} {DriftType} drift, {Metric} {Feature} = {Value:G4} (threshold {Threshold:G4}) against {ModelName} v{Version}")]
    partial void LogDrift(string series, DriftSeverity severity, DriftType driftType, string metric, string? feature, double value, double threshold,
        string modelName, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Series}: {DriftType} {Metric} {Feature} back within threshold ({Value:G4}, threshold {Threshold:G4})")]
    partial void LogRecovered(string series, DriftType driftType, string metric, string? feature, double value, double threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series}: severe drift against {ModelName} v{Version}; requested retraining {RequestId}")]
    partial void LogRetrain(string series, Guid requestId, string modelName, int version);
}
