using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>Where tensors go.</summary>
public static class TorchDevices
{
    /// <summary>CUDA when this build's libtorch has it and a GPU is visible, else CPU.</summary>
    public static Device Best() => cuda.is_available() ? CUDA : CPU;
}
