namespace NeuralTrade.Events.Modeling;

/// <summary>A model read back from an artifact whose digest matched.</summary>
public sealed class LoadedModel(ArtifactManifest manifest, SignalPredictor model, string sha256) : IDisposable
{
    public ArtifactManifest Manifest { get; } = manifest;
    public SignalPredictor Model { get; } = model;
    public string Sha256 { get; } = sha256;
    public FeatureSpec FeatureSpec { get; } = FeatureSpec.Resolve(manifest.FeatureSpecId);
    public FeatureScaler Scaler { get; } = manifest.Scaler.ToScaler();

    /// <summary>The calibration temperature every probability of this model is served with (1 for uncalibrated artifacts).</summary>
    public double Temperature { get; } = manifest.Calibration?.Temperature ?? 1;

    public void Dispose() => Model.Dispose();
}
