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
        var actual = ModelArtifact.Sha256(bytes);
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new ArtifactIntegrityException($"{expected.Uri} has SHA-256 {actual}, the event says {expected.Sha256}");
        if (bytes.LongLength != expected.SizeBytes)
            throw new ArtifactIntegrityException($"{expected.Uri} is {bytes.LongLength} bytes, the event says {expected.SizeBytes}");
        return new VerifiedArtifact(bytes, actual);
    }
}
