using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>What stepping one check's readings decided.</summary>
/// <param name="Changed">The state fields to store: each statistic whose state changed, serialized.</param>
/// <param name="Events">The <c>drift.detected</c> events to publish, in the order of the readings.</param>
/// <param name="States">Every reading's state after the step.</param>
internal sealed record DriftAlertStep(IReadOnlyDictionary<string, string> Changed, IReadOnlyList<DriftDetected> Events,
    IReadOnlyList<DriftState> States);
