namespace NeuralTrade.Events.Tracking;

public sealed record RunMetric(string Key, double Value, long Step);
