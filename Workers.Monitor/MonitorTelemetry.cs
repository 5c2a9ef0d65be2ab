using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Workers.Monitor;

public static class MonitorTelemetry
{
    public const string Name = "NeuralTrade.Monitor";
    public static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    /// <summary>Every drift statistic at every check, tagged by series, model, drift type, metric and feature: the series an operator plots.</summary>
    public static readonly Gauge<double> Statistic = Meter.CreateGauge<double>("neuraltrade.monitor.drift.statistic", null,
        "Latest value of a drift statistic (PSI, KS p-value, realised macro-F1 / accuracy) per series, metric and feature.");

    public static readonly Gauge<int> Level = Meter.CreateGauge<int>("neuraltrade.monitor.drift.level", "{level}",
        "Drift level of a statistic after hysteresis: 0 none, 1 warn, 2 alert.");

    public static readonly Counter<long> Events = Meter.CreateCounter<long>("neuraltrade.monitor.drift.events", "{event}",
        "drift.detected events published, by drift type, metric and severity.");

    public static readonly Counter<long> RetrainRequests = Meter.CreateCounter<long>("neuraltrade.monitor.retrain.requests", "{request}",
        "training.requested published by the monitor (reason drift).");

    public static readonly Counter<long> Checks = Meter.CreateCounter<long>("neuraltrade.monitor.checks", "{check}",
        "Series checks by outcome: checked, no_model, baseline_unavailable.");

    public static readonly Counter<long> Predictions = Meter.CreateCounter<long>("neuraltrade.monitor.predictions", "{prediction}",
        "prediction.completed seen, by outcome: recorded (streamed) or skipped_requested.");

    public static readonly Histogram<double> CheckDuration = Meter.CreateHistogram<double>("neuraltrade.monitor.check.duration", "ms",
        "Time to update the windows of one data.ingested and check the series.");
}
