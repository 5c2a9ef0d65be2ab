namespace NeuralTrade.Events.Modeling;

/// <summary>Where a model came from.</summary>
public sealed record TrainingInfo(string Series, DateTimeOffset From, DateTimeOffset To, int TrainSamples, int ValidationSamples, int TestSamples,
    int Gap, int Seed, string Device, int BestEpoch, int EpochsRun, double DurationSeconds)
{
    /// <summary>
    /// Open time of the last candle any training or validation label reads (the last validation window's end plus the
    /// label horizon): the model has seen nothing after it. Null in older artifacts, where the test window's start bounds it.
    /// </summary>
    public DateTimeOffset? ValidationTo { get; init; }

    /// <summary>Open time of the last candle of the first test window: the held-out window starts here.</summary>
    public DateTimeOffset? TestFrom { get; init; }

    /// <summary>Open time of the last candle of the last test window.</summary>
    public DateTimeOffset? TestTo { get; init; }
}
