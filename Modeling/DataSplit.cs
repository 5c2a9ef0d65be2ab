namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Chronological train / validation / test samples with purge gaps between them. <see cref="Gap"/> is the fewest candles
/// between the last window end of one part and the first window end of the next.
/// </summary>
public sealed record DataSplit(IReadOnlyList<Sample> Train, IReadOnlyList<Sample> Validation, IReadOnlyList<Sample> Test, int Gap);
