using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// The monitor's work. Every <c>data.ingested</c> (1) appends the features of the new candles to the series' feature
/// window, computed by the shared feature implementation with the same history the model is served with
/// (<see cref="FeatureWindows"/>); (2) labels the streamed predictions whose horizon has now passed, with the training
/// labels' own definition (<see cref="OutcomeLabeller"/>); (3) under the series' lock, measures data drift (PSI and KS per
/// feature against the champion's training baseline, <see cref="DataDrift"/>), prediction drift (signal mix and
/// confidence against its validation split, <see cref="PredictionDrift"/>) and concept drift (realised macro-F1 and
/// accuracy against its test figures, <see cref="ConceptDrift"/>), steps each statistic's hysteresis
/// (<see cref="DriftAlerts"/>), publishes <c>drift.detected</c> and, for severe drift, at most one
/// <c>training.requested</c> (reason <c>drift</c>) per retrain cooldown (<see cref="RetrainPolicy"/>). While no champion
/// serves the series (or its baselines cannot be read), the features window is compared with the series' own history
/// instead (<see cref="HistoryDrift"/>, reference <c>history</c>): the same statistics, thresholds, hysteresis and
/// cooldowns, reported only, since without a champion there is no recipe to retrain. Time is candle time (the newest open
/// time), so a replay behaves as live data did; cooldowns are counted in the series' candles. Windows and state live in
/// <see cref="IMonitorStore"/>.
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
    readonly HistoryDrift _historyDrift = new(options);
    readonly PredictionDrift _predictionDrift = new(options);
    readonly ConceptDrift _conceptDrift = new(options);
    readonly DriftAlerts _alerts = new(options);
    readonly RetrainPolicy _retrain = new(store, options);

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
        await using (await LockAsync(series, cancellationToken))
        {
            report = model is null
                ? await CheckHistoryAsync(series, problem ?? ChampionBaselines.NoModel, ingested, publish, cancellationToken)
                : await CheckAsync(series, model, ingested, publish, cancellationToken);
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
        var (readings, now) = await MeasureAsync(series, model, ingested, cancellationToken);
        var stateKey = MonitorKeys.State(series, model.Name, model.Version);
        var step = _alerts.Step(series, model, readings, await store.ReadStateAsync(stateKey, cancellationToken), now, ingested.CorrelationId);
        var retrain = await _retrain.DecideAsync(series, model, step.States, now, ingested.CorrelationId, cancellationToken);
        var events = retrain is null ? step.Events : _retrain.MarkRequested(step.Events);

        // Publish first, then store: a crash in between republishes the same events (same ids) on redelivery, never loses them.
        await PublishDriftAsync(series, model, events, publish, cancellationToken);
        if (retrain is not null)
        {
            await publish(retrain, cancellationToken);
            await _retrain.RecordAsync(series, retrain, now, cancellationToken);
            MonitorTelemetry.RetrainRequests.Add(1);
            LogRetrain(series.ToString(), retrain.RequestId, model.Name, model.Version);
        }

        // When this model was last checked, and on how many windows' worth: an operator (and a test) can see it is watched.
        var changed = new Dictionary<string, string>(step.Changed)
        {
            [CheckedField] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
        await store.WriteStateAsync(stateKey, changed, cancellationToken);
        return new CheckReport("checked", readings, events, retrain);
    }

    /// <summary>
    /// Without a champion: data drift of the features window against the series' history, reported (never a retrain).
    /// The report keeps the reason there is no champion as its outcome.
    /// </summary>
    async Task<CheckReport> CheckHistoryAsync(SeriesKey series, string outcome, DataIngested ingested,
        Func<IntegrationEvent, CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        var spec = FeatureSpec.OhlcvV1;
        var rows = await _features.ReadAsync(series, spec, _historyDrift.Rows, cancellationToken);
        var (readings, reference) = _historyDrift.Measure(spec, rows);
        if (readings.Count == 0)
            return CheckReport.Skipped(outcome);
        var now = Later(WindowCodec.DecodeTime(rows[^1].Time), ingested.LastOpenTime);
        var stateKey = MonitorKeys.HistoryState(series, spec.Id);
        var step = _alerts.Step(series, null, readings, await store.ReadStateAsync(stateKey, cancellationToken), now, ingested.CorrelationId, reference);
        foreach (var e in step.Events)
        {
            await publish(e, cancellationToken);
            CountEvent(e);
            if (e.Action == RecoveredAction)
                LogRecovered(series.ToString(), e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold);
            else
                LogHistoryDrift(series.ToString(), e.Severity, e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold, outcome);
        }

        var changed = new Dictionary<string, string>(step.Changed)
        {
            [CheckedField] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
        await store.WriteStateAsync(stateKey, changed, cancellationToken);
        return new CheckReport(outcome, readings, step.Events, null);
    }

    static void CountEvent(DriftDetected e) =>
        MonitorTelemetry.Events.Add(1, new KeyValuePair<string, object?>("drift_type", e.DriftType.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("metric", e.Metric), new KeyValuePair<string, object?>("severity", e.Severity.ToString().ToLowerInvariant()));

    /// <summary>Every family's readings, and the check's time: the newest feature row or candle, whichever is later.</summary>
    async Task<(List<DriftReading> Readings, DateTimeOffset Now)> MeasureAsync(SeriesKey series, MonitoredModel model, DataIngested ingested,
        CancellationToken cancellationToken)
    {
        var featureRows = await _features.ReadAsync(series, model.FeatureSpec, cancellationToken);
        var now = featureRows.Count > 0 ? Later(WindowCodec.DecodeTime(featureRows[^1].Time), ingested.LastOpenTime) : ingested.LastOpenTime;
        var readings = _dataDrift.Measure(model, featureRows).ToList();
        readings.AddRange(_predictionDrift.Measure(model, await _outcomes.ReadPredictionsAsync(series, model, cancellationToken)));
        readings.AddRange(_conceptDrift.Measure(model, await _outcomes.ReadOutcomesAsync(series, model, cancellationToken)));
        return (readings, now);
    }

    static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    async Task PublishDriftAsync(SeriesKey series, MonitoredModel model, IReadOnlyList<DriftDetected> events,
        Func<IntegrationEvent, CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            await publish(e, cancellationToken);
            CountEvent(e);
            if (e.Action == RecoveredAction)
                LogRecovered(series.ToString(), e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold);
            else
                LogDrift(series.ToString(), e.Severity, e.DriftType, e.Metric, e.Feature, e.Value, e.Threshold, model.Name, model.Version);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series}: {Severity} {DriftType} drift, {Metric} {Feature} = {Value:G4} (threshold {Threshold:G4}) against {ModelName} v{Version}")]
    partial void LogDrift(string series, DriftSeverity severity, DriftType driftType, string metric, string? feature, double value, double threshold,
        string modelName, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series}: {Severity} {DriftType} drift, {Metric} {Feature} = {Value:G4} (threshold {Threshold:G4}) against the series' own history (no champion: {Reason}); reported, no retraining")]
    partial void LogHistoryDrift(string series, DriftSeverity severity, DriftType driftType, string metric, string? feature, double value, double threshold,
        string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Series}: {DriftType} {Metric} {Feature} back within threshold ({Value:G4}, threshold {Threshold:G4})")]
    partial void LogRecovered(string series, DriftType driftType, string metric, string? feature, double value, double threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series}: severe drift against {ModelName} v{Version}; requested retraining {RequestId}")]
    partial void LogRetrain(string series, Guid requestId, string modelName, int version);
}
