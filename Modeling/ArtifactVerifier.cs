using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The one check of an artifact's bytes against the reference an event or the registry carries: SHA-256 and size.
/// Registry, Inference and Monitor verify through it before reading a model, and reading a <see cref="VerifiedArtifact"/>
/// does not hash again.
/// </summary>
public static class ArtifactVerifier
{
    public static VerifiedArtifact Verify(byte[] bytes, ArtifactRef expected)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(expected);
        if (string.IsNullOrWhiteSpace(expected.Sha256))
            throw new ArtifactIntegrityException($"{expected.Uri} comes without a SHA-256; an artifact is read only against its digest");
        if (bytes.LongLength > ArtifactLimits.MaxArtifactBytes)
            throw new ArtifactIntegrityException($"{expected.Uri} is {bytes.LongLength:N0} bytes; artifacts are at most {ArtifactLimits.MaxArtifactBytes:N0}");
        var actual = ModelArtifact.Sha256(bytes);
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ArtifactIntegrityException($"{expected.Uri} has SHA-256 {actual}, the event says {expected.Sha256}");
        if (bytes.LongLength != expected.SizeBytes)
            throw new ArtifactIntegrityException($"{expected.Uri} is {bytes.LongLength} bytes, the event says {expected.SizeBytes}");
        return new VerifiedArtifact(bytes, actual);
    }

    /// <summary>
    /// The series binding: the manifest names <paramref name="modelName"/> and was trained on the one series that name
    /// stands for (<see cref="ModelNames.SeriesOf"/>). A model is served, gated and monitored only for that series.
    /// </summary>
    public static void VerifyBinding(ArtifactManifest manifest, string modelName)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(modelName);
        var series = ModelNames.SeriesOf(modelName)
            ?? throw new ArtifactIntegrityException($"'{modelName}' is not a model name this fleet makes ({ModelNames.Prefix}<exchange>-<symbol>-<interval>)");
        if (manifest.ModelName != modelName)
            throw new ArtifactIntegrityException($"the artifact deployed as {modelName} holds model {manifest.ModelName}");
        if (manifest.Training.Series != series.ToString())
            throw new ArtifactIntegrityException($"the artifact of {modelName} was trained on {manifest.Training.Series}; {modelName} serves {series} only");
    }
}
