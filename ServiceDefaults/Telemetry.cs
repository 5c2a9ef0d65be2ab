namespace NeuralTrade.Events.Hosting;

/// <summary>Names of our ActivitySources and Meters: one per component, <c>NeuralTrade.&lt;Component&gt;</c>.</summary>
public static class Telemetry
{
    public const string AllSources = "NeuralTrade.*";
    public const string AllMeters = "NeuralTrade.*";
}
