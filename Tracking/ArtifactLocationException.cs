namespace NeuralTrade.Events.Tracking;

/// <summary>An artifact URI outside the places artifacts are read from (the run store, the MLflow artifact proxy), or an artifact too large to read.</summary>
public sealed class ArtifactLocationException(string message) : Exception(message);
