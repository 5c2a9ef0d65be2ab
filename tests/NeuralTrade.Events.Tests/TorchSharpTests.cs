using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// libtorch must initialise in this repository's build on Debian 12 (DESIGN.md §9): the build patches
/// libLibTorchSharp.so where the system libstdc++ lacks GLIBCXX_3.4.32.
/// </summary>
[NonParallelizable] // the LSTM's initial weights come from libtorch's process-wide generator, which seeded trainings share
public sealed class TorchSharpTests
{
    [Test]
    public void Tensor_and_lstm_forward_run_on_cpu()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(42);
        var input = randn([4, 60, 12], generator: generator);
        using var lstm = nn.LSTM(12, 16, numLayers: 2, batchFirst: true, bidirectional: true);

        var (output, hidden, cell) = lstm.forward(input);

        Assert.That(output.shape, Is.EqualTo(new long[] { 4, 60, 32 }));
        Assert.That(hidden.shape, Is.EqualTo(new long[] { 4, 4, 16 }));
        Assert.That(cell.shape, Is.EqualTo(new long[] { 4, 4, 16 }));
        Assert.That(output.isfinite().all().item<bool>(), Is.True);
        Assert.That((ones(2, 3) * 2).sum().item<float>(), Is.EqualTo(12f));
    }
}
