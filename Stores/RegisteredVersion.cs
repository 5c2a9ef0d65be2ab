using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Stores;

/// <summary>A registered version of a model: what Registry promotes and every Inference instance loads.</summary>
public sealed record RegisteredVersion(string ModelName, int Version, string RunId, ArtifactRef Artifact, IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset RegisteredAt, string Registry)
{
    /// <summary>Where the version is registered: <c>mlflow</c> (the version is MLflow's) or <c>local</c>.</summary>
    public const string Mlflow = "mlflow", Local = "local";
}
