using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Turns a check's readings into alerts: steps each statistic's hysteresis and cooldown (<see cref="DriftTracker"/>,
/// the cooldown counted in the series' candles) from the state stored for the model version (or for the series'
/// history check), records the statistic and its level, and builds the <c>drift.detected</c> events the steps decided.
/// Event ids follow from the series, model (or <c>history</c>), statistic, severity and candle time, so a redelivered
/// message publishes the same events.
/// </summary>
internal sealed class DriftAlerts(IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>
    /// Steps <paramref name="readings"/> from the <paramref name="stored"/> state hash at candle time <paramref name="now"/>:
    /// against the champion <paramref name="model"/>, or, when it is null, against the series' history
    /// <paramref name="referenceWindow"/>.
    /// </summary>
    public DriftAlertStep Step(SeriesKey series, MonitoredModel? model, IReadOnlyList<DriftReading> readings,
        IReadOnlyDictionary<string, string> stored, DateTimeOffset now, Guid correlationId, TimeWindow? referenceWindow = null)
    {
        var cooldown = new CandleCooldown(Settings.CooldownCandles, Intervals.LengthOf(series.Interval), Settings.Cooldown);
        var changed = new Dictionary<string, string>();
        var events = new List<DriftDetected>();
        var states = new List<DriftState>(readings.Count);
        foreach (var reading in readings)
        {
            var state = DriftState.Parse(stored.GetValueOrDefault(reading.Key));
            var decision = DriftTracker.Step(state, reading, now, Settings.Hysteresis, cooldown);
            if (decision.State != state)
                changed[reading.Key] = decision.State.Serialize();
            states.Add(decision.State);
            Record(series, model, reading, decision.State.Level);
            if (decision.Publish is { } severity)
                events.Add(DriftEvent(series, model, reading, severity, decision.Recovered, now, correlationId, referenceWindow));
        }

        return new DriftAlertStep(changed, events, states);
    }

    static DriftDetected DriftEvent(SeriesKey series, MonitoredModel? model, DriftReading r, DriftSeverity severity, bool recovered, DateTimeOffset now,
        Guid correlationId, TimeWindow? referenceWindow) => new()
        {
            EventId = DeterministicGuid.Create(model is null
                ? $"drift|{series}|history|{r.Key}|{severity}|{now.ToUnixTimeSeconds()}"
                : $"drift|{series}|{model.Name}|{model.Version}|{r.Key}|{severity}|{now.ToUnixTimeSeconds()}"),
            CorrelationId = correlationId,
            SchemaVersion = model is null ? DriftDetected.HistorySchemaVersion : 1,
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
            Model = model is null ? null : new ModelRef(model.Name, model.Version),
            Window = r.Window,
            Reference = model is null ? DriftReference.History : DriftReference.Champion,
            ReferenceWindow = model is null ? referenceWindow : null,
            Action = recovered ? DriftMonitor.RecoveredAction : null,
        };

    static void Record(SeriesKey series, MonitoredModel? model, DriftReading r, int level)
    {
        ReadOnlySpan<KeyValuePair<string, object?>> tags =
        [
            new("series", series.ToString()), new("model", model?.Name ?? ""), new("model_version", model?.Version ?? 0),
            new("reference", model is null ? "history" : "champion"),
            new("drift_type", r.Type.ToString().ToLowerInvariant()), new("metric", r.Metric), new("feature", r.Feature ?? ""),
        ];
        MonitorTelemetry.Statistic.Record(r.Value, tags);
        MonitorTelemetry.Level.Record(level, tags);
    }
}
