using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>What one training run produced.</summary>
public sealed record TrainingOutcome(
    byte[] Artifact,
    string Sha256,
    ArtifactManifest Manifest,
    EvaluationReport Test,
    EvaluationReport Validation,
    double MajorityBaselineMacroF1,
    IReadOnlyList<EpochProgress> History,
    DatasetRange Dataset,
    double DurationSeconds);
