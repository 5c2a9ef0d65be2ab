namespace NeuralTrade.Events.Modeling;

/// <summary>Everything about a model except its weights.</summary>
public sealed record ArtifactManifest
{
    public const int CurrentFormat = 1;
    public int FormatVersion { get; init; } = CurrentFormat;
    public required string ModelName { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string FeatureSpecId { get; init; }
    public required IReadOnlyList<string> FeatureNames { get; init; }
    public required ScalerInfo Scaler { get; init; }
    public required LabelSpec Labels { get; init; }
    public required int WindowSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumLayers { get; init; }
    public required double Dropout { get; init; }
    public required IReadOnlyDictionary<string, string> Hyperparameters { get; init; }
    public IReadOnlyList<string> ClassNames { get; init; } = SignalClasses.Names;
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required int[][] ConfusionMatrix { get; init; }
    public required IReadOnlyList<FeatureBaseline> FeatureBaseline { get; init; }
    public required PredictionBaseline PredictionBaseline { get; init; }
    public required TrainingInfo Training { get; init; }

    /// <summary>Temperature scaling fitted on validation; null in artifacts from before calibration (temperature 1).</summary>
    public CalibrationInfo? Calibration { get; init; }

    /// <summary>The test metrics of every seed trained (the served model is the one with the best validation loss); null for one seed.</summary>
    public SeedSpread? Seeds { get; init; }
}
