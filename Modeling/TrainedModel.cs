using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>A trained model with what is needed to use it: its scaler and the epoch it was kept from.</summary>
public sealed class TrainedModel(SignalPredictor model, FeatureScaler scaler, int bestEpoch, IReadOnlyList<EpochProgress> history, Device device)
    : IDisposable
{
    public SignalPredictor Model { get; } = model;
    public FeatureScaler Scaler { get; } = scaler;
    public int BestEpoch { get; } = bestEpoch;
    public IReadOnlyList<EpochProgress> History { get; } = history;
    public Device Device { get; } = device;

    public void Dispose() => Model.Dispose();
}
