using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// Champions for the monitor's tests: a real artifact (manifest + the weights of a small, untrained predictor, which the
/// monitor never loads) whose drift baselines come from the candles the test says the model was trained on, and whose
/// prediction baseline and test metrics the test chooses.
/// </summary>
public static class DriftChampions
{
    /// <summary>An even mix of signals with confidences spread over [0.4, 0.8]: the validation output of a calm model.</summary>
    public static PredictionBaseline EvenPredictions { get; } = ModelArtifact.PredictionBaselineOf(
        Enumerable.Range(0, 600).SelectMany(i =>
        {
            var top = (float)(0.4 + 0.4 * ((i * 37) % 600) / 600.0);
            var rest = (1 - top) / 2;
            return (i % 3) switch { 0 => new[] { top, rest, rest }, 1 => [rest, top, rest], _ => [rest, rest, top] };
        }).ToArray());

    public static ArtifactManifest Manifest(string modelName, IReadOnlyList<FeatureBaseline> features, PredictionBaseline? predictions = null,
        IReadOnlyDictionary<string, double>? metrics = null, LabelSpec? labels = null) => new()
        {
            ModelName = modelName,
            CreatedAt = DriftMarket.Start,
            FeatureSpecId = FeatureSpec.OhlcvV1.Id,
            FeatureNames = FeatureSpec.OhlcvV1.Names,
            Scaler = new ScalerInfo(new float[FeatureSpec.OhlcvV1.Count], Enumerable.Repeat(1f, FeatureSpec.OhlcvV1.Count).ToArray(), 5),
            Labels = labels ?? new LabelSpec(),
            WindowSize = 20,
            HiddenSize = 8,
            NumLayers = 1,
            Dropout = 0,
            Hyperparameters = TrainedModels.Tiny.ToDictionary(),
            Metrics = metrics ?? new Dictionary<string, double> { ["macro_f1"] = 0.5, ["accuracy"] = 0.55 },
            ConfusionMatrix = [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            FeatureBaseline = features,
            PredictionBaseline = predictions ?? EvenPredictions,
            Training = new TrainingInfo(ModelNames.SeriesOf(modelName)?.ToString() ?? "test", DriftMarket.Start, DriftMarket.Start, 1, 1, 1, 5, 1, "cpu", 1, 1, 0),
        };

    /// <summary>Writes the artifact under <paramref name="directory"/> and makes it the champion of <paramref name="series"/>.</summary>
    public static async Task<RegisteredVersion> PromoteAsync(IModelRegistryStore registry, string directory, SeriesKey series, int version,
        ArtifactManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(manifest);
        byte[] bytes;
        using (var model = new SignalPredictor(manifest.FeatureNames.Count, manifest.HiddenSize, manifest.NumLayers, manifest.Dropout))
            bytes = ModelArtifact.Write(manifest, model);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{manifest.ModelName}-v{version}{ModelArtifact.FileExtension}");
        await File.WriteAllBytesAsync(path, bytes);
        var registered = await registry.AddVersionAsync(new RegisteredVersion(manifest.ModelName, version, $"run-{version}",
            new ArtifactRef(new Uri(path).AbsoluteUri, ModelArtifact.Sha256(bytes), bytes.LongLength), manifest.Metrics, DriftMarket.Start,
            RegisteredVersion.Local));
        await registry.PromoteAsync(manifest.ModelName, registered.Version);
        return registered;
    }
}
