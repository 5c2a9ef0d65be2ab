using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>What one step decided.</summary>
/// <param name="State">The state to store.</param>
/// <param name="Publish">The event severity to publish, or null for none.</param>
/// <param name="Recovered">The event announces a return below the thresholds.</param>
public readonly record struct DriftDecision(DriftState State, DriftSeverity? Publish, bool Recovered);
