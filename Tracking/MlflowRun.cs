namespace NeuralTrade.Events.Tracking;

public sealed record MlflowRun(string RunId, string ExperimentId, string ArtifactUri, string Status);
