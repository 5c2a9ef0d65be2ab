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
}
