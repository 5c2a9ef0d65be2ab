namespace NeuralTrade.Events.Tracking;

public sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step);
