namespace NeuralTrade.Events.Benchmarks;

/// <summary>One scenario's round trips: how many were answered, failed and lost, and their latency.</summary>
public sealed record LatencyFigure(string Scenario, int Requests, int Answered, int Failed, int Lost, double Seconds, double P50Ms, double P99Ms, double MaxMs)
{
    public double PerSecond => Answered / Seconds;
}
