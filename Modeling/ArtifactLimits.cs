namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Bounds on a model artifact, checked before anything is allocated from it: the stored size, the decompressed size of
/// each entry, and the network dimensions its manifest declares (the same ranges training accepts).
/// </summary>
public static class ArtifactLimits
{
    /// <summary>The largest artifact read, as stored (compressed): 1 GiB.</summary>
    public const long MaxArtifactBytes = 1L << 30;

    /// <summary>The largest <c>manifest.json</c>, decompressed: 16 MiB (a default manifest is about 100 KiB).</summary>
    public const long MaxManifestBytes = 16L << 20;

    /// <summary>The most input features a manifest may declare.</summary>
    public const int MaxFeatures = 64;

    /// <summary>Every reason the manifest's dimensions are out of range; empty when they are not.</summary>
    public static IReadOnlyList<string> DimensionProblems(ArtifactManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var problems = new List<string>();
        var bounds = new Hyperparameters
        {
            WindowSize = manifest.WindowSize, HiddenSize = manifest.HiddenSize, NumLayers = manifest.NumLayers, Dropout = manifest.Dropout,
        };
        problems.AddRange(bounds.Validate().Where(p => p.StartsWith("windowSize", StringComparison.Ordinal)
            || p.StartsWith("hiddenSize", StringComparison.Ordinal) || p.StartsWith("numLayers", StringComparison.Ordinal)
            || p.StartsWith("dropout", StringComparison.Ordinal)));
        if (manifest.FeatureNames is not { Count: > 0 and <= MaxFeatures })
            problems.Add($"the manifest declares {manifest.FeatureNames?.Count ?? 0} features; 1 to {MaxFeatures} are allowed");
        if (manifest.ClassNames is not { Count: SignalClasses.Count })
            problems.Add($"the manifest declares {manifest.ClassNames?.Count ?? 0} classes; the signal has {SignalClasses.Count}");
        return problems;
    }

    /// <summary>
    /// An upper bound on <c>weights.bin</c> for the declared dimensions: every parameter of the network as float32
    /// (bidirectional LSTM layers, projections, attention and classifier), with room for the per-tensor headers.
    /// </summary>
    public static long MaxWeightsBytes(ArtifactManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        long h = manifest.HiddenSize, layers = manifest.NumLayers, features = manifest.FeatureNames.Count;
        var lstm = 2 * layers * (4 * h * (2 * h + h) + 8 * h); // per direction: 4 gates × (input ≤ 2H + hidden H) + biases
        var dense = 8 * h * h + (features + 16) * h + 4 * features + 16;
        return (long)((lstm + dense) * 4 * 1.25) + (1L << 20);
    }
}
