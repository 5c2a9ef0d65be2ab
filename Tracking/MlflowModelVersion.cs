namespace NeuralTrade.Events.Tracking;

/// <summary>A registered model version (<c>version</c> is a string on the wire).</summary>
public sealed record MlflowModelVersion(string Name, int Version, string? Source, string? RunId, string? Status, string? StatusMessage);
