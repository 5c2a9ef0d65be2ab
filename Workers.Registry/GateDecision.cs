namespace NeuralTrade.Events.Workers.Registry;

/// <summary>What the gate decided, with both sets of metrics measured on the same window.</summary>
public sealed record GateDecision(bool Promote, string Reason, IReadOnlyDictionary<string, double> CandidateMetrics,
    IReadOnlyDictionary<string, double> ChampionMetrics, DateTimeOffset WindowFrom, DateTimeOffset WindowTo);
