using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>What one check of a series found and did.</summary>
public sealed record CheckReport(string Outcome, IReadOnlyList<DriftReading> Readings, IReadOnlyList<DriftDetected> Events, TrainingRequested? Retrain)
{
    public static CheckReport Skipped(string outcome) => new(outcome, [], [], null);
}
