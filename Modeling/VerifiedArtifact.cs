namespace NeuralTrade.Events.Modeling;

/// <summary>Artifact bytes whose digest and size matched their reference; only <see cref="ArtifactVerifier"/> makes one.</summary>
public sealed class VerifiedArtifact
{
    internal VerifiedArtifact(byte[] bytes, string sha256)
    {
        Bytes = bytes;
        Sha256 = sha256;
    }

    public byte[] Bytes { get; }
    public string Sha256 { get; }
}
