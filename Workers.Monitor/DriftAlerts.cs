using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Turns a check's readings into alerts: steps each statistic's hysteresis and cooldown (<see cref="DriftTracker"/>) from
/// the state stored for the model version, records the statistic and its level, and builds the <c>drift.detected</c>
/// events the steps decided. Event ids follow from the series, model, statistic, severity and candle time, so a
/// redelivered message publishes the same events.
/// </summary>
internal sealed class DriftAlerts(IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>Steps <paramref name="readings"/> from the <paramref name="stored"/> state hash of the model version at candle time <paramref name="now"/>.</summary>
    public DriftAlertStep Step(SeriesKey series, MonitoredModel model, IReadOnlyList<DriftReading> readings,
        IReadOnlyDictionary<string, string> stored, DateTimeOffset now, Guid correlationId)
    {
        var changed = new Dictionary<string, string>();
        var events = new List<DriftDetected>();
        var states = new List<DriftState>(readings.Count);
        foreach (var reading in readings)
        {
            var state = DriftState.Parse(stored.GetValueOrDefault(reading.Key));
            var decision = DriftTracker.Step(state, reading, now, Settings.Hysteresis, Settings.Cooldown);
            if (decision.State != state)
                changed[reading.Key] = decision.State.Serialize();
            states.Add(decision.State);
            Record(series, model, reading, decision.State.Level);
            if (decision.Publish is { } severity)
                events.Add(DriftEvent(series, model, reading, severity, decision.Recovered, now, correlationId));
        }

        return new DriftAlertStep(changed, events, states);
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
            Action = recovered ? DriftMonitor.RecoveredAction : null,
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
}
