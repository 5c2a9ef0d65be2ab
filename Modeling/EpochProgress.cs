namespace NeuralTrade.Events.Modeling;

/// <summary>One finished epoch.</summary>
public sealed record EpochProgress(int Epoch, int MaxEpochs, double TrainLoss, double ValidationLoss, double LearningRate, bool Improved,
    int SamplesSeen, TimeSpan Elapsed);
