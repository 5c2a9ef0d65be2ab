namespace NeuralTrade.Events.Modeling;

/// <summary>An artifact that is not what its reference says (digest or size), or not a readable model: refused, never served.</summary>
public sealed class ArtifactIntegrityException(string message) : Exception(message);
