using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// Small real models of the planted market, trained once per process and cached: what Registry gates and Inference
/// serves in tests. Deterministic (seeded, CPU).
/// </summary>
public static class TrainedModels
{
    public static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");
    public const string ModelName = "signal-sim-plant-usd-1m";

    public static readonly Hyperparameters Tiny = new()
    {
        WindowSize = 20, HiddenSize = 16, NumLayers = 1, Dropout = 0.1, Epochs = 12, BatchSize = 64, LearningRate = 3e-3, Patience = 5,
        Seed = 7, MinSamples = 100, Horizon = 5, FixedThreshold = 0.006, VolatilityScale = 0,
    };

    static readonly Lazy<List<Candle>> LazyMarket = new(() => PlantedMarket.Generate(3_000, seed: 11));
    static readonly Lazy<TrainingOutcome> LazyOutcome = new(() => ModelTraining.Run(ModelName, Series, Market, Tiny, CPU));

    /// <summary>The candles the models were trained on; put them in the store the worker under test reads.</summary>
    public static IReadOnlyList<Candle> Market => LazyMarket.Value;

    public static TrainingOutcome Outcome => LazyOutcome.Value;

    /// <summary>Writes the model's artifact to <paramref name="directory"/> and describes it as Training would announce it.</summary>
    public static TrainingCompleted Completed(string directory, string runId, byte[]? bytes = null, string? claimedSha256 = null)
    {
        bytes ??= Outcome.Artifact;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{runId}{ModelArtifact.FileExtension}");
        File.WriteAllBytes(path, bytes);
        return new TrainingCompleted
        {
            RequestId = Guid.NewGuid(), RunId = runId, ModelName = ModelName,
            Artifact = new ArtifactRef(new Uri(path).AbsoluteUri, claimedSha256 ?? ModelArtifact.Sha256(bytes), bytes.LongLength),
            Metrics = Outcome.Manifest.Metrics, Dataset = Outcome.Dataset, DurationSeconds = Outcome.DurationSeconds,
        };
    }
}
