namespace NeuralTrade.Events.Modeling;

/// <summary>Chronological train / validation / test samples with purge gaps between them.</summary>
public sealed record DataSplit(IReadOnlyList<Sample> Train, IReadOnlyList<Sample> Validation, IReadOnlyList<Sample> Test, int Gap);
