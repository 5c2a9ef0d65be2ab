using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>What one training run produced.</summary>
public sealed record TrainingOutcome(
    byte[] Artifact,
    ArtifactManifest Manifest,
    EvaluationReport Test,
    EvaluationReport Validation,
    double MajorityBaselineMacroF1,
    IReadOnlyList<EpochProgress> History,
    DatasetRange Dataset,
    double DurationSeconds)
{
    /// <summary>
    /// Lower-case hex SHA-256 of <see cref="Artifact"/>, computed when asked for. The Training worker does not ask: it
    /// takes the digest from where it stores the artifact, so the bytes are hashed once.
    /// </summary>
    public string Sha256 => ModelArtifact.Sha256(Artifact);

    /// <summary>
    /// A few real inputs of the model: the unscaled feature windows of the last test samples, which the MLflow model
    /// directory carries as its input example (<see cref="MlflowModel"/>). Null where the run did not record them.
    /// </summary>
    public FeatureWindows? InputExample { get; init; }
}
