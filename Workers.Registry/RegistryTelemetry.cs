using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Workers.Registry;

public static class RegistryTelemetry
{
    public const string Name = "NeuralTrade.Registry";
    public static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>("neuraltrade.registry.decisions", "{decision}",
        "Champion decisions by outcome: promoted, rejected, promote, rollback.");
    public static readonly Histogram<double> DecisionDuration = Meter.CreateHistogram("neuraltrade.registry.decision.duration", "s",
        "Time to gate a candidate (read and verify both artifacts, score both on the held-out window).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
}
